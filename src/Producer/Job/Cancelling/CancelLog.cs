using Microsoft.Extensions.Logging;

namespace Streaming.Producer.Job.Cancelling;

internal static partial class CancelLog
{
    [LoggerMessage(EventId = 420, Level = LogLevel.Information,
        Message = "Job {JobId} for {File} cancelled: nothing more is published, the consumers skip its queued batches, its unfinished outputs and checkpoint are removed")]
    public static partial void Cancelled(ILogger logger, Guid jobId, string file);

    [LoggerMessage(EventId = 421, Level = LogLevel.Warning,
        Message = "Could not announce the cancel of job {JobId} ({Reason}); the consumers skip its batches once its results queue is gone, or run them for nothing")]
    public static partial void AnnounceFailed(ILogger logger, Guid jobId, string reason);

    [LoggerMessage(EventId = 422, Level = LogLevel.Debug, Message = "Could not repeat {Jobs} cancels ({Reason}); trying again shortly")]
    public static partial void RepeatFailed(ILogger logger, int jobs, string reason);

    [LoggerMessage(EventId = 423, Level = LogLevel.Warning,
        Message = "Job {JobId} for {File} cancelled, but its unfinished outputs could not all be removed from {Folder} ({Reason})")]
    public static partial void CleanupFailed(ILogger logger, Guid jobId, string file, string folder, string reason);
}
