using Microsoft.Extensions.Logging;

namespace Streaming.Producer.Job.Publishing;

/// <summary>The log events of publishing a job's batches and publishing them again (event ids of the 400s, as the job's).</summary>
internal static partial class PublishLog
{
    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "A batch publish failed ({Reason}); retrying")]
    public static partial void PublishRetry(ILogger logger, string reason);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning,
        Message = "{File}: no result for batch {First} in {Seconds} s; publishing batches {First}..{Last} again (lost queue or messages?)")]
    public static partial void Retransmitting(ILogger logger, string file, long first, long last, int seconds);

    [LoggerMessage(EventId = 414, Level = LogLevel.Error,
        Message = "{File}: batch {Sequence} was published {Times} times and no consumer answered; its lines fail and the file goes on")]
    public static partial void GaveUpOnBatch(ILogger logger, string file, long sequence, int times);

    [LoggerMessage(EventId = 406, Level = LogLevel.Debug, Message = "Publishing batch {Sequence}: lines {FirstLine}..{LastLine}")]
    public static partial void Publishing(ILogger logger, long sequence, long firstLine, long lastLine);
}
