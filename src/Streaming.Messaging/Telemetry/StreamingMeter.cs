using System.Diagnostics.Metrics;

namespace Streaming.Messaging.Telemetry;

/// <summary>The process's one <c>Streaming</c> meter; each service creates its instruments from it.</summary>
internal static class StreamingMeter
{
    public static Meter Instance { get; } = new(TelemetryNames.Meter, typeof(StreamingMeter).Assembly.GetName().Version?.ToString());

    /// <summary>Explicit bucket boundaries (seconds) for the duration histograms: from 5 ms to 5 min, so that
    /// p50/p95/p99 come out of Prometheus' histogram_quantile for sub-second batches and for slow processors.</summary>
    public static InstrumentAdvice<double> DurationAdvice { get; } = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    };
}
