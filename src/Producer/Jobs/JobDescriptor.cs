using Streaming.Producer.Publishing;

namespace Streaming.Producer.Jobs;

/// <summary>What identifies one file's job: a checkpoint is only resumed when all of this still matches.
/// <see cref="ResultsQueue"/> is where this run's batches answer.</summary>
internal sealed record JobDescriptor(
    Guid JobId,
    JobFiles Files,
    long InputLength,
    DateTime InputLastWriteUtc,
    CutSettings Cut,
    DateTimeOffset StartedAt,
    string TraceId,
    string? RootSpanId,
    string ResultsQueue);
