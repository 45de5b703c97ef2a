using Streaming.Messaging.Contract;

namespace Streaming.Producer.Job.Output;

/// <summary>Where a job's lines are written in order: a batch is appended, then committed whole or not at all.</summary>
internal interface IOutputSink
{
    /// <summary>How far the committed batches reach (what a checkpoint records).</summary>
    OutputLengths Lengths { get; }

    /// <summary>Adds a result's lines (failed ones as failures) to the batch being written.</summary>
    void Append(LineResult result);

    /// <summary>Adds one failed line to the batch being written.</summary>
    void AppendFailure(long lineNumber, ReadOnlySpan<byte> reason);

    /// <summary>Writes the batch gathered since the last commit.</summary>
    /// <exception cref="IOException">Nothing of the batch was written.</exception>
    void Commit();

    /// <summary>Forgets the batch gathered since the last commit.</summary>
    void Discard();
}
