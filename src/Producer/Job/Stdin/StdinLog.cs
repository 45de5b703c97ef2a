using Microsoft.Extensions.Logging;

namespace Streaming.Producer.Job.Stdin;

/// <summary>The log events of a standard input job (event ids of the 400s, as the job's).</summary>
internal static partial class StdinLog
{
    [LoggerMessage(EventId = 450, Level = LogLevel.Warning,
        Message = "Job {JobId} for standard input stopped before its end: it cannot be resumed (standard input cannot be read again)")]
    public static partial void Abandoned(ILogger logger, Guid jobId);
}
