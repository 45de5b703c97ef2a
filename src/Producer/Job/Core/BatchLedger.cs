using Streaming.Producer.Job.Input;

namespace Streaming.Producer.Job.Core;

/// <summary>
/// Where each batch inside the window starts, so the collector can checkpoint the input offset of its next batch
/// and check that a result has the shape of the batch it answers. A ring: the window bounds it.
/// </summary>
internal sealed class BatchLedger(int window)
{
    private readonly Entry[] _entries = new Entry[window + 1];
    private readonly Lock _lock = new();

    /// <param name="batch">The batch about to be published.</param>
    /// <param name="publishedAt">When its publish starts (a <see cref="TimeProvider"/> timestamp), for the end-to-end latency.</param>
    public void Record(CutBatch batch, long publishedAt)
    {
        lock (_lock)
        {
            _entries[batch.Sequence % _entries.Length] =
                new Entry(batch.Sequence, batch.FirstLine, batch.LineCount, batch.StartOffset, batch.EndOffset, publishedAt);
        }
    }

    public bool TryGet(long sequence, out Entry entry)
    {
        lock (_lock)
        {
            entry = _entries[sequence % _entries.Length];
        }
        return entry.Sequence == sequence && entry.LineCount > 0;
    }

    internal readonly record struct Entry(long Sequence, long FirstLine, int LineCount, long StartOffset, long EndOffset, long PublishedAt);
}
