using System.Diagnostics.Metrics;
using Streaming.Messaging.Telemetry;

namespace Streaming.Producer.Telemetry;

/// <summary>
/// The producer's instruments on the <c>Streaming</c> meter. Everything is counted per batch or per result message,
/// never per line; the per-file gauges read the collectors of the files in flight when a reader collects.
/// </summary>
internal static class ProducerMetrics
{
    private static readonly Lock s_lock = new();
    private static readonly List<TrackedFile> s_files = [];

    private static readonly Counter<long> s_linesPublished = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.LinesPublished, "{line}", "Lines published to streaming.lines (confirmed by the broker)");

    private static readonly Counter<long> s_batchesPublished = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.BatchesPublished, "{batch}", "Batches (messages) published to streaming.lines (confirmed by the broker)");

    private static readonly Histogram<double> s_endToEnd = StreamingMeter.Instance.CreateHistogram(
        TelemetryNames.BatchEndToEndDuration, "s", "From a batch's publish to its results written in order by the collector",
        tags: null, StreamingMeter.DurationAdvice);

    private static readonly Counter<long> s_duplicates = StreamingMeter.Instance.CreateCounter<long>(
        TelemetryNames.CollectorDuplicates, "{result}", "Results the collector dropped because it already had them");

    private static readonly ObservableGauge<long> s_reorderBuffer = StreamingMeter.Instance.CreateObservableGauge(
        TelemetryNames.CollectorReorderBuffer, () => ObserveFiles(static f => f.Collector.Buffered), "{batch}",
        "Batches the collector holds because they arrived before their turn, per file");

    private static readonly ObservableGauge<long> s_linesDone = StreamingMeter.Instance.CreateObservableGauge(
        TelemetryNames.FileLinesDone, () => ObserveFiles(static f => f.Collector.LinesWritten), "{line}",
        "Lines of a file in flight whose results are written, in order");

    private static readonly ObservableGauge<long> s_linesTotal = StreamingMeter.Instance.CreateObservableGauge(
        TelemetryNames.FileLinesTotal, () => ObserveFiles(static f => f.EstimatedTotalLines()), "{line}",
        "Lines of a file in flight, estimated from the share of its bytes written (exact once it is done)");

    public static void Published(int lines)
    {
        s_linesPublished.Add(lines);
        s_batchesPublished.Add(1);
    }

    public static void Written(TimeSpan sincePublished) => s_endToEnd.Record(sincePublished.TotalSeconds);

    public static void DuplicateDropped() => s_duplicates.Add(1);

    /// <summary>Reports the file's progress and reorder buffer until disposed.</summary>
    /// <param name="inputBytes">How many bytes the input has to cut (an estimate while a compressed one is read).</param>
    public static IDisposable Track(string fileName, ITrackedFile collector, Func<long> inputBytes)
    {
        var file = new TrackedFile(fileName, collector, inputBytes);
        lock (s_lock)
        {
            s_files.Add(file);
        }
        return file;
    }

    private static IEnumerable<Measurement<long>> ObserveFiles(Func<TrackedFile, long> value)
    {
        TrackedFile[] files;
        lock (s_lock)
        {
            files = [.. s_files];
        }
        foreach (var file in files)
        {
            yield return new Measurement<long>(value(file), new KeyValuePair<string, object?>(TelemetryNames.FileName, file.Name));
        }
    }

    private sealed class TrackedFile(string name, ITrackedFile collector, Func<long> inputBytes) : IDisposable
    {
        public string Name => name;

        public ITrackedFile Collector => collector;

        public long EstimatedTotalLines()
        {
            var done = collector.LinesWritten;
            var bytesDone = collector.InputOffsetWritten;
            var inputLength = inputBytes();
            return bytesDone >= inputLength || bytesDone == 0 ? done : (long)(done * ((double)inputLength / bytesDone));
        }

        public void Dispose()
        {
            lock (s_lock)
            {
                s_files.Remove(this);
            }
        }
    }
}
