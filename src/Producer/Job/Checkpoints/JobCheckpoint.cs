using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Checkpoints;

/// <summary>
/// Written after the output is flushed: everything before <see cref="NextSequence"/> is on disk. A restarted producer
/// truncates the outputs to these lengths and publishes again from <see cref="InputOffset"/>.
/// <see cref="TraceId"/> and <see cref="RootSpanId"/> are the first run's: a resumed run's spans join that trace.
/// <see cref="ResultsQueue"/> is the queue this run's batches answer to, its process's (null: the job id's own, as
/// checkpoints written before the results queue was one per process have).
/// <see cref="InputFingerprint"/> is the hash of the input's first <see cref="InputOffset"/> bytes
/// (<see cref="Input.InputFingerprint"/>): a resumed run checks that its input still starts with them.
/// <see cref="OutputCompression"/> is the output's (null: uncompressed): a run in another one starts over.
/// <see cref="InputCompressedOffset"/> (a compressed input's only) is how many of its file's bytes the fingerprint covers.
/// <see cref="Pipeline"/> is the pipeline the output so far was processed by (null: the default one, as checkpoints
/// written before pipelines have): a run on another pipeline does not resume it (<c>publish</c> refuses, <c>watch</c>
/// starts over), since one output would mix two fleets' processors.
/// </summary>
internal sealed record JobCheckpoint(
    int SchemaVersion,
    Guid JobId,
    string InputPath,
    long InputLength,
    DateTime InputLastWriteUtc,
    int BatchLines,
    int BatchBytes,
    int MaxLineBytes,
    long NextSequence,
    long NextLine,
    long InputOffset,
    long OutputLength,
    long ErrorsLength,
    long FailedLines,
    DateTimeOffset StartedAt,
    string TraceId,
    string? RootSpanId = null,
    string? ResultsQueue = null,
    string? InputFingerprint = null,
    string? OutputCompression = null,
    long? InputCompressedOffset = null,
    string? Pipeline = null)
{
    public const int CurrentSchema = 2;

    /// <summary>The outputs' lengths this checkpoint vouches for (a method: the file's JSON stays as it is).</summary>
    public OutputLengths OutputLengths() => new(OutputLength, ErrorsLength, FailedLines);

    /// <summary>The results queue this checkpoint's run answered to: the one it names, or its job id's own.</summary>
    public string AnsweredTo() => ResultsQueue ?? QueueNames.ResultsQueue(JobId);
}
