namespace Streaming.Producer.Telemetry;

/// <summary>What the per-file gauges read from a file in flight (<see cref="ProducerMetrics.Track"/>).</summary>
internal interface ITrackedFile
{
    /// <summary>Batches held for reordering.</summary>
    int Buffered { get; }

    /// <summary>Lines whose results are written, in order.</summary>
    long LinesWritten { get; }

    /// <summary>Where the input's unwritten part starts.</summary>
    long InputOffsetWritten { get; }
}
