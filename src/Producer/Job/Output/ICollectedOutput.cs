namespace Streaming.Producer.Job.Output;

/// <summary>The output a job's collector writes through: a sink, and what the collector reads of it.</summary>
internal interface ICollectedOutput : IOutputSink
{
    /// <summary>Failed lines written so far (committed batches only).</summary>
    long FailedLines { get; }

    /// <summary>Pushes what is written to where it lasts (before a checkpoint vouches for it).</summary>
    void Flush();
}
