namespace Streaming.Messaging.Topology;

/// <summary>Message properties and headers the services set or read.</summary>
public static class MessageHeaders
{
    /// <summary>Why a message was dead-lettered by a service (UTF-8 text).</summary>
    public const string DeadLetterReason = "x-streaming-reason";

    /// <summary>Which queue the dead-lettered message came from.</summary>
    public const string DeadLetterSource = "x-streaming-source";

    /// <summary>Set by quorum queues on redelivery: how many times the message was returned before.</summary>
    public const string DeliveryCount = "x-delivery-count";

    public const string BatchContentType = "application/vnd.streaming.batch";
    public const string ResultContentType = "application/vnd.streaming.result";
}
