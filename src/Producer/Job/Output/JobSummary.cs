namespace Streaming.Producer.Job.Output;

/// <summary>The contents of <c>&lt;name&gt;.summary.json</c>. <see cref="InputFingerprint"/> is the hash of the whole
/// input file as stored (<see cref="Input.InputFingerprint.WholeFile"/>), which <c>redrive</c> checks its input against;
/// <see cref="Attempts"/> lists each run over the file: the first run, then each redrive. The fields before them are the
/// first run's, except <see cref="FailedLines"/>, which a redrive brings up to date.</summary>
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
    long LinesRepublished,
    string? InputFingerprint = null,
    IReadOnlyList<RunAttempt>? Attempts = null);

/// <summary>One run over a file: <c>publish</c>/<c>watch</c> (<see cref="Kind"/> <c>run</c>) or <c>redrive</c>;
/// <see cref="Lines"/> are the lines it processed, <see cref="FailedLines"/> those of them that failed.</summary>
internal sealed record RunAttempt(
    string Kind, DateTimeOffset StartedAt, DateTimeOffset CompletedAt, long DurationMs, long Lines, long FailedLines, string TraceId)
{
    public const string Run = "run";
    public const string Redrive = "redrive";
}

/// <summary>One line of <c>&lt;name&gt;.errors.jsonl</c>.</summary>
internal sealed record LineError(long Line, string Error);
