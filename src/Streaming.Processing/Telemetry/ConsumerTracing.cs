using System.Diagnostics;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;

namespace Streaming.Consumer.Telemetry;

/// <summary>
/// The consumer's spans: <c>process streaming.lines</c> (or <c>process streaming.quarantine</c>) per delivery, a child
/// of the publish that produced the message (so it sits in the file's trace) and linked to it. What happens to a batch
/// beyond processing — quarantined, split, failed as poison, handed back, dead-lettered — is an event on that span.
/// </summary>
internal static class ConsumerTracing
{
    private const string ProcessWorkSpan = "process " + QueueNames.Work;
    private const string ProcessQuarantineSpan = "process " + QueueNames.Quarantine;
    private const string ProcessDeliveryLimitSpan = "process " + QueueNames.DeliveryLimit;

    private static readonly ActivitySource s_source = new(TelemetryNames.ConsumerSource, typeof(ConsumerTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the delivery's span and counts the delivery as held (unacked) until disposed.</summary>
    public static DeliveryScope StartDelivery(BasicDeliverEventArgs delivery, string queue)
    {
        ConsumerMetrics.DeliveryTaken(queue);
        return new DeliveryScope(MessagingActivities.StartProcess(s_source, SpanName(queue), delivery, queue), queue);
    }

    /// <summary>The default pipeline's queue names for every pipeline (span names keep a low cardinality; the
    /// destination tag names the queue): a pipeline's queues start with them.</summary>
    private static string SpanName(string queue) =>
        queue.StartsWith(QueueNames.Quarantine, StringComparison.Ordinal) ? ProcessQuarantineSpan
        : queue.StartsWith(QueueNames.DeliveryLimit, StringComparison.Ordinal) ? ProcessDeliveryLimitSpan
        : ProcessWorkSpan;

    /// <summary>Tags the current span with the batch (or part) the message carries.</summary>
    public static void Batch(LineBatch batch)
    {
        if (Activity.Current is { IsAllDataRequested: true } activity && activity.Source == s_source)
        {
            var header = batch.Header;
            activity.SetTag(TelemetryNames.JobId, header.JobId.ToString("N"))
                .SetTag(TelemetryNames.BatchSequence, header.Sequence)
                .SetTag(TelemetryNames.BatchFirstLine, header.PartFirstLine)
                .SetTag(TelemetryNames.BatchLines, header.PartCount);
        }
    }

    public static void LinesFailed(int failed)
    {
        if (Activity.Current is { IsAllDataRequested: true } activity && activity.Source == s_source)
        {
            activity.SetTag(TelemetryNames.BatchFailedLines, failed);
            if (failed > 0)
            {
                activity.AddEvent(new ActivityEvent("lines failed",
                    tags: new ActivityTagsCollection { [TelemetryNames.BatchFailedLines] = failed }));
            }
        }
    }

    public static void Quarantined() => MessagingActivities.Event("quarantined");

    /// <summary>The broker dead-lettered the batch after its delivery limit; it goes back to the quarantine.</summary>
    public static void OverDeliveryLimit(string deliveryLimitQueue)
    {
        MessagingMetrics.BrokerDeadLettered(deliveryLimitQueue, "delivery limit");
        MessagingActivities.Event("over delivery limit");
    }

    public static void HandedBack() => MessagingActivities.Event("handed back");

    public static void Split(int firstHalf, int secondHalf) => MessagingActivities.Event("split",
        new KeyValuePair<string, object?>("streaming.split.first_half", firstHalf),
        new KeyValuePair<string, object?>("streaming.split.second_half", secondHalf));

    public static void PoisonLine(long line, string reason)
    {
        ConsumerMetrics.PoisonLineFailed();
        MessagingActivities.Event("poison line", new KeyValuePair<string, object?>(TelemetryNames.BatchFirstLine, line));
        MessagingActivities.Failed("poison_line", reason);
    }

    public static void Failed(Exception exception) => MessagingActivities.Failed(exception);

    internal readonly struct DeliveryScope(Activity? activity, string queue) : IDisposable
    {
        public void Dispose()
        {
            activity?.Dispose();
            ConsumerMetrics.DeliverySettled(queue);
        }
    }
}
