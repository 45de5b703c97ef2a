using System.Diagnostics.Metrics;

namespace Streaming.Messaging.Telemetry;

/// <summary>Dropped messages and dead letters, by reason. Dead letters: those a service publishes to streaming.dead, and batches the broker dead-lettered
/// past their delivery limit (counted when a consumer takes them from streaming.delivery-limit).</summary>
internal static class MessagingMetrics
{
    private static readonly Counter<long> s_deadLetters = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.DeadLetters, "{message}", "Dead-lettered messages, by reason and queue");

    private static readonly Counter<long> s_dropped = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.DroppedMessages, "{message}", "Messages dropped with a logged reason, by reason and queue");

    /// <summary>Counts a dead letter and records it on the current span (failed, with the reason). The metric's
    /// reason is the reason's fixed part (up to the first ':'), so the detail cannot explode the label's values.</summary>
    public static void DeadLettered(string sourceQueue, string reason)
    {
        var colon = reason.IndexOf(':', StringComparison.Ordinal);
        var category = colon > 0 ? reason[..colon] : reason;
        s_deadLetters.Add(1,
            new KeyValuePair<string, object?>(TelemetryNames.DeadLetterReason, category),
            new KeyValuePair<string, object?>(TelemetryNames.MessagingDestinationName, sourceQueue));
        MessagingActivities.Event("dead-lettered", new KeyValuePair<string, object?>(TelemetryNames.DeadLetterReason, reason));
        MessagingActivities.Failed("dead_lettered", reason);
    }

    /// <summary>Counts a message a service dropped without dead-lettering it (a result for another job or outside the
    /// window, a result whose job has finished), by the reason's fixed part.</summary>
    public static void Dropped(string queue, string reason) => s_dropped.Add(1,
        new KeyValuePair<string, object?>(TelemetryNames.DropReason, reason),
        new KeyValuePair<string, object?>(TelemetryNames.MessagingDestinationName, queue));

    /// <summary>Counts a message the broker dead-lettered (a batch past the delivery limit) when a service takes it.</summary>
    public static void BrokerDeadLettered(string queue, string reason) => s_deadLetters.Add(1,
        new KeyValuePair<string, object?>(TelemetryNames.DeadLetterReason, reason),
        new KeyValuePair<string, object?>(TelemetryNames.MessagingDestinationName, queue));
}
