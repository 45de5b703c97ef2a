using Microsoft.Extensions.Logging;

namespace Streaming.Consumer.Processing;

internal static partial class ConsumerLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "Consuming {Queue} with processor {Processor}, prefetch {Prefetch}, concurrency {Concurrency}")]
    public static partial void Consuming(ILogger logger, string queue, string processor, int prefetch, int concurrency);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning,
        Message = "Dead-lettered a message from {Queue}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information,
        Message = "Batch {Sequence} of job {JobId} came back from a consumer that stopped; quarantined")]
    public static partial void Quarantined(ILogger logger, long sequence, Guid jobId);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning,
        Message = "Quarantined batch {Sequence} of job {JobId} (lines {FirstLine}..{LastLine}) was delivered {Deliveries} times; split in two")]
    public static partial void Split(ILogger logger, long sequence, Guid jobId, long firstLine, long lastLine, long deliveries);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error,
        Message = "Line {Line} of job {JobId} crashed or stalled a consumer {Deliveries} times when processed alone; failed as poison")]
    public static partial void PoisonLine(ILogger logger, long line, Guid jobId, long deliveries);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning,
        Message = "Handling a delivery from {Queue} failed; handing it back")]
    public static partial void DeliveryFailed(ILogger logger, string queue, Exception exception);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information,
        Message = "Stopping: no new work taken, {InFlight} deliveries in progress, {DrainSeconds} s to finish")]
    public static partial void Draining(ILogger logger, int inFlight, int drainSeconds);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "Stopped; {InFlight} deliveries left to the broker")]
    public static partial void Stopped(ILogger logger, int inFlight);

    [LoggerMessage(EventId = 216, Level = LogLevel.Critical, Message = "Cannot consume: {Reason}")]
    public static partial void TopologyMismatch(ILogger logger, string reason);

    [LoggerMessage(EventId = 209, Level = LogLevel.Critical, Message = "The consumer service failed")]
    public static partial void ServiceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning,
        Message = "Batch {Sequence} of job {JobId} (lines {FirstLine}..{LastLine}) passed the broker's delivery limit; quarantined")]
    public static partial void OverDeliveryLimit(ILogger logger, long sequence, Guid jobId, long firstLine, long lastLine);

    [LoggerMessage(EventId = 214, Level = LogLevel.Information,
        Message = "Dropped a result: its results queue {Queue} does not exist (the job has finished, or never existed)")]
    public static partial void ResultDropped(ILogger logger, string queue);

    [LoggerMessage(EventId = 215, Level = LogLevel.Warning,
        Message = "Lost the broker while starting ({Reason}); starting again in {DelaySeconds} s")]
    public static partial void StartInterrupted(ILogger logger, string reason, double delaySeconds);

    [LoggerMessage(EventId = 217, Level = LogLevel.Information,
        Message = "The result of batch {Sequence} of job {JobId} passes the {LimitBytes}-byte message limit; sent in {Parts} parts")]
    public static partial void ResultInParts(ILogger logger, long sequence, Guid jobId, int parts, int limitBytes);

    [LoggerMessage(EventId = 218, Level = LogLevel.Warning,
        Message = "Could not hand a delivery from {Queue} back ({Reason}); trying again in {DelaySeconds} s")]
    public static partial void HandBackRetry(ILogger logger, string queue, string reason, double delaySeconds);

    [LoggerMessage(EventId = 230, Level = LogLevel.Information,
        Message = "Job {JobId} was cancelled: its queued batches are skipped without running the processor")]
    public static partial void JobCancelled(ILogger logger, Guid jobId);

    [LoggerMessage(EventId = 231, Level = LogLevel.Warning, Message = "Ignored a cancel notice: {Reason}")]
    public static partial void BadCancelNotice(ILogger logger, string reason);

    [LoggerMessage(EventId = 232, Level = LogLevel.Information,
        Message = "Skipped batch {Sequence} of job {JobId} ({Lines} lines) without running the processor: {Reason}")]
    public static partial void Skipped(ILogger logger, long sequence, Guid jobId, int lines, string reason);
}
