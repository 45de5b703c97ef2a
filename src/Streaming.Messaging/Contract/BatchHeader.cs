namespace Streaming.Messaging.Contract;

/// <summary>
/// Identifies a run of lines: which job, which batch of it (<see cref="Sequence"/>), and which part of that batch
/// this message carries. A batch is cut once by the producer; a poison batch may later be split into parts
/// (<see cref="PartStart"/>, <see cref="PartCount"/>) that always nest inside each other.
/// </summary>
/// <param name="JobId">The file's job.</param>
/// <param name="Sequence">The batch's 0-based position in the job; the collector writes in this order.</param>
/// <param name="FirstLine">The 1-based line number of the batch's first line (not the part's).</param>
/// <param name="BatchLineCount">How many lines the whole batch has.</param>
/// <param name="PartStart">Index, within the batch, of this part's first line.</param>
/// <param name="PartCount">How many lines this part carries.</param>
internal readonly record struct BatchHeader(
    Guid JobId, long Sequence, long FirstLine, int BatchLineCount, int PartStart, int PartCount)
{
    /// <summary>The most lines one batch may hold; bounds every decoder allocation.</summary>
    public const int MaxLinesPerBatch = 1_000_000;

    public bool IsWholeBatch => PartStart == 0 && PartCount == BatchLineCount;

    public long PartFirstLine => FirstLine + PartStart;

    /// <summary>True when this part lies entirely inside <paramref name="other"/>.</summary>
    public bool IsWithin(BatchHeader other) =>
        PartStart >= other.PartStart && PartStart + PartCount <= other.PartStart + other.PartCount;

    public BatchHeader Part(int start, int count) => this with { PartStart = start, PartCount = count };
}
