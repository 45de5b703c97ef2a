namespace Streaming.Messaging.Topology;

/// <summary>Message properties and headers the services set or read.</summary>
internal static class MessageHeaders
{
    /// <summary>Why a message was dead-lettered by a service (UTF-8 text).</summary>
    public const string DeadLetterReason = "x-streaming-reason";

    /// <summary>Which queue the dead-lettered message came from.</summary>
    public const string DeadLetterSource = "x-streaming-source";

    /// <summary>Which pipeline the dead-lettered message belongs to: its name, empty for the default pipeline.</summary>
    public const string DeadLetterPipeline = "x-streaming-pipeline";

    /// <summary>How many times a quarantined line came back from a consumer that was processing it alone. Counted by
    /// the consumers themselves: whether a return raises the broker's x-delivery-count differs between versions.</summary>
    public const string Returns = "x-streaming-returns";

    public const string BatchContentType = "application/vnd.streaming.batch";
    public const string ResultContentType = "application/vnd.streaming.result";

    /// <summary>A cancel notice on <see cref="QueueNames.CancelExchange"/>: the ids of cancelled jobs.</summary>
    public const string CancelContentType = "application/vnd.streaming.cancel";

    /// <summary>An empty message a producer sends to its own results queue to learn whether the queue still takes
    /// messages; the collector acknowledges it and reads nothing.</summary>
    public const string ProbeContentType = "application/vnd.streaming.probe";
}
