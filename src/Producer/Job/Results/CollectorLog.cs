using Microsoft.Extensions.Logging;

namespace Streaming.Producer.Job.Results;

internal static partial class CollectorLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Dead-lettered a message from {Queue}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Dropped a result for job {JobId}, sequence {Sequence}: {Reason}")]
    public static partial void Dropped(ILogger logger, Guid jobId, long sequence, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning,
        Message = "{Probes} probes in a row: the results queue {Lost} did not answer; moved to {Fresh} and publishing the batches still out of its {Jobs} jobs again")]
    public static partial void MovedToFreshQueue(ILogger logger, string lost, string fresh, int probes, int jobs);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning,
        Message = "The results queue {Lost} does not answer, and a fresh one could not be subscribed to yet ({Reason}); trying again")]
    public static partial void MoveFailed(ILogger logger, string lost, string reason);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning,
        Message = "Could not subscribe to the results queue {Lost} ({Reason}); starting on {Fresh} instead")]
    public static partial void StartedOnFreshQueue(ILogger logger, string lost, string reason, string fresh);

    [LoggerMessage(EventId = 306, Level = LogLevel.Error,
        Message = "{File}: the output cannot be written ({Reason}); paused until it can, for at most {Seconds} s (free some disk space)")]
    public static partial void WritingPaused(ILogger logger, string file, string reason, double seconds);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning, Message = "{File}: the output is being written again after a pause of {Seconds:0.0} s")]
    public static partial void WritingResumed(ILogger logger, string file, double seconds);

    [LoggerMessage(EventId = 308, Level = LogLevel.Warning, Message = "{File}: the checkpoint could not be written ({Reason}); it will be tried again")]
    public static partial void CheckpointDeferred(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Handling a result from {Queue} failed; it will come again")]
    public static partial void HandlingFailed(ILogger logger, string queue, Exception exception);

    [LoggerMessage(EventId = 312, Level = LogLevel.Debug,
        Message = "A result from {Queue} was left to the broker, its channel closed under it ({Reason}); it comes again if still needed")]
    public static partial void LeftToBroker(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 409, Level = LogLevel.Warning,
        Message = "Could not delete the results queue {Queue} ({Reason}); nothing in it is needed, it expires by itself within a day")]
    public static partial void LostResultsQueueLeft(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 309, Level = LogLevel.Information, Message = "Results of this process's jobs come back to {Queue}")]
    public static partial void Receiving(ILogger logger, string queue);

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug,
        Message = "Dropped a result from {Queue} for a job finished or not of this process ({Count} so far)")]
    public static partial void Unclaimed(ILogger logger, long count, string queue);

    [LoggerMessage(EventId = 311, Level = LogLevel.Information,
        Message = "Dropped {Count} results that came back to {Queue} for jobs finished or not of this process (late duplicates)")]
    public static partial void UnclaimedResults(ILogger logger, long count, string queue);
}
