using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;

namespace Streaming.Producer.Job.Core;

/// <summary>What identifies one file's job: a checkpoint is only resumed when all of this still matches.
/// <see cref="Pipeline"/> is the name of the pipeline its batches go to (null: the default pipeline).</summary>
internal sealed record JobDescriptor(
    Guid JobId,
    JobFiles Files,
    long InputLength,
    DateTime InputLastWriteUtc,
    CutSettings Cut,
    DateTimeOffset StartedAt,
    string TraceId,
    string? RootSpanId,
    string? Pipeline = null);
