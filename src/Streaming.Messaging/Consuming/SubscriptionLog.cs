using Microsoft.Extensions.Logging;

namespace Streaming.Messaging.Consuming;

internal static partial class SubscriptionLog
{
    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "The broker cancelled the consumer on {Queue}")]
    public static partial void CancelledByBroker(ILogger logger, string queue);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Lost the consumer on {Queue}: {Reason}; subscribing again")]
    public static partial void Resubscribing(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Consuming {Queue} again")]
    public static partial void Resubscribed(ILogger logger, string queue);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning,
        Message = "Could not subscribe to {Queue} again ({Reason}); retrying in {DelaySeconds} s")]
    public static partial void ResubscribeFailed(ILogger logger, string queue, string reason, double delaySeconds);

    [LoggerMessage(EventId = 115, Level = LogLevel.Warning,
        Message = "Could not subscribe to {Queue} ({Reason}); retrying in {DelaySeconds} s")]
    public static partial void StartRetry(ILogger logger, string queue, string reason, double delaySeconds);

    [LoggerMessage(EventId = 114, Level = LogLevel.Warning, Message = "Cancelling the consumer on {Queue} failed: {Reason}")]
    public static partial void CancelFailed(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 116, Level = LogLevel.Information, Message = "Connection recovered: subscribing to {Queue} again")]
    public static partial void ResubscribingAfterRecovery(ILogger logger, string queue);
}
