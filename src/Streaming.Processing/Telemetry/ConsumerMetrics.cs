using System.Diagnostics.Metrics;
using Streaming.Messaging.Telemetry;

namespace Streaming.Consumer.Telemetry;

/// <summary>
/// The consumer's instruments on the <c>Streaming</c> meter, all counted per batch or per delivery, never per line.
/// Each consumer process reports as its own instance (<c>service.instance.id</c>).
/// </summary>
internal static class ConsumerMetrics
{
    /// <summary>The values of <see cref="TelemetryNames.SkipReason"/>.</summary>
    public static class SkipReasons
    {
        public const string JobCancelled = "job_cancelled";
        public const string ResultsQueueGone = "results_queue_gone";
    }

    private static readonly Counter<long> s_linesProcessed = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.LinesProcessed, "{line}", "Lines a consumer produced a result for (including failed ones)");

    private static readonly Counter<long> s_linesFailed = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.LinesFailed, "{line}", "Lines whose result is a failure: the processor threw, the line was over the limit, or it was poison");

    private static readonly Counter<long> s_batchesProcessed = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.BatchesProcessed, "{batch}", "Batches (or parts of split batches) a consumer produced a result for");

    private static readonly Counter<long> s_batchesSkipped = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.BatchesSkipped, "{batch}",
        "Batches (or parts) a consumer acknowledged without running the processor: their job was cancelled or their results queue is gone");

    private static readonly Counter<long> s_linesSkipped = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.LinesSkipped, "{line}", "Lines of the skipped batches");

    private static readonly Histogram<double> s_processingDuration = StreamingMeter.Instance.CreateHistogram(
        TelemetryNames.BatchProcessingDuration, "s", "Time the line processor took for one batch, all its lines",
        tags: null, StreamingMeter.DurationAdvice);

    private static readonly UpDownCounter<long> s_linesActive = StreamingMeter.Instance.CreateUpDownCounter<long>(
        TelemetryNames.ConsumerLinesActive, "{line}", "Lines of the batches this consumer is processing now");

    private static readonly UpDownCounter<long> s_unacked = StreamingMeter.Instance.CreateUpDownCounter<long>(
        TelemetryNames.ConsumerMessagesUnacked, "{message}",
        "Deliveries this consumer holds and has not acknowledged yet; summed over consumers, a queue's unacked messages");

    public static void BatchStarted(int lines) => s_linesActive.Add(lines);

    public static void BatchProcessed(int lines, int failed, TimeSpan duration)
    {
        s_linesProcessed.Add(lines);
        s_batchesProcessed.Add(1);
        if (failed > 0)
        {
            s_linesFailed.Add(failed);
        }
        s_processingDuration.Record(duration.TotalSeconds);
    }

    /// <summary>The batch left the processor, with a result or abandoned (the service is stopping).</summary>
    public static void BatchFinished(int lines) => s_linesActive.Add(-lines);

    /// <summary>A single poison line failed without running the processor.</summary>
    public static void PoisonLineFailed()
    {
        s_linesProcessed.Add(1);
        s_batchesProcessed.Add(1);
        s_linesFailed.Add(1);
    }

    /// <summary>A batch skipped without running the processor; <paramref name="reason"/> is a <see cref="SkipReasons"/> value.</summary>
    public static void BatchSkipped(int lines, string reason)
    {
        var tag = new KeyValuePair<string, object?>(TelemetryNames.SkipReason, reason);
        s_batchesSkipped.Add(1, tag);
        s_linesSkipped.Add(lines, tag);
    }

    public static void DeliveryTaken(string queue) =>
        s_unacked.Add(1, new KeyValuePair<string, object?>(TelemetryNames.MessagingDestinationName, queue));

    public static void DeliverySettled(string queue) =>
        s_unacked.Add(-1, new KeyValuePair<string, object?>(TelemetryNames.MessagingDestinationName, queue));
}
