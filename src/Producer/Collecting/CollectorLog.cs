using Microsoft.Extensions.Logging;

namespace Streaming.Producer.Collecting;

internal static partial class CollectorLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Dead-lettered a message from {Queue}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Dropped a result for job {JobId}, sequence {Sequence}: {Reason}")]
    public static partial void Dropped(ILogger logger, Guid jobId, long sequence, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Handling a result from {Queue} failed; it will come again")]
    public static partial void HandlingFailed(ILogger logger, string queue, Exception exception);
}
