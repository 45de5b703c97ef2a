using Microsoft.Extensions.Logging;

namespace Streaming.Producer.Job.Checkpoints;

internal static partial class CheckpointLog
{
    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Ignoring the checkpoint of {File}: {Reason}")]
    public static partial void CheckpointIgnored(ILogger logger, string file, string reason);
}
