using Microsoft.Extensions.Logging;

namespace Streaming.Messaging.Publishing;

internal static partial class PublishingLog
{
    [LoggerMessage(EventId = 125, Level = LogLevel.Warning,
        Message = "The broker closed the publishing channel ({ReplyCode} {ReplyText}); the next publish opens a new one")]
    public static partial void ChannelClosedByBroker(ILogger logger, ushort replyCode, string replyText);

    [LoggerMessage(EventId = 126, Level = LogLevel.Information, Message = "Opened a new publishing channel")]
    public static partial void ChannelReopened(ILogger logger);

    [LoggerMessage(EventId = 127, Level = LogLevel.Warning,
        Message = "The broker nacked a publish; the next publish opens a new publishing channel")]
    public static partial void ChannelNacked(ILogger logger);
}
