namespace Streaming.Producer.Job.Output;

/// <summary>The contents of <c>&lt;name&gt;.summary.json</c>.</summary>
internal sealed record JobSummary(
    string File,
    long Lines,
    long FailedLines,
    long Batches,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    long DurationMs,
    double LinesPerSecond,
    string TraceId,
    long DuplicatesDropped,
    long ResultsDropped,
    long LinesRepublished);

/// <summary>One line of <c>&lt;name&gt;.errors.jsonl</c>.</summary>
internal sealed record LineError(long Line, string Error);
