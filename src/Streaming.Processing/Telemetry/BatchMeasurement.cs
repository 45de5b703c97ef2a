using System.Diagnostics;

namespace Streaming.Consumer.Telemetry;

/// <summary>
/// One batch in the processor: its lines count as in work until disposed; <see cref="Completed"/> records the
/// result (lines processed and failed, duration) on the metrics and on the current span. Per batch, never per line.
/// </summary>
internal readonly struct BatchMeasurement : IDisposable
{
    private readonly int _lines;
    private readonly long _started;

    private BatchMeasurement(int lines)
    {
        _lines = lines;
        _started = Stopwatch.GetTimestamp();
    }

    public static BatchMeasurement Start(int lines)
    {
        ConsumerMetrics.BatchStarted(lines);
        return new BatchMeasurement(lines);
    }

    public void Completed(int failed)
    {
        ConsumerMetrics.BatchProcessed(_lines, failed, Stopwatch.GetElapsedTime(_started));
        ConsumerTracing.LinesFailed(failed);
    }

    public void Dispose() => ConsumerMetrics.BatchFinished(_lines);
}
