using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Publishing;

namespace Streaming.Producer.Job.Stdin;

/// <summary>
/// Standard input cannot be read twice: a copy of each batch's message, kept from its cut until its results are
/// written, is what the <see cref="Retransmitter"/> publishes again (after a consumer kill, a broker restart, a lost
/// results queue). The window bounds it: a batch is cut only once it fits the window, so at most the window's batches
/// (and the one cut waiting for room) are kept.
/// </summary>
internal sealed class RetainedBatches : IBatchReplay
{
    private readonly Lock _lock = new();
    private readonly Queue<CutBatch> _kept = new();
    private long _bytes;

    /// <summary>Batches kept now, and their bytes.</summary>
    public (int Batches, long Bytes) Kept
    {
        get
        {
            lock (_lock)
            {
                return (_kept.Count, _bytes);
            }
        }
    }

    /// <summary>Keeps a copy of <paramref name="batch"/> (its body lives in a writer that is used again once it is
    /// published).</summary>
    public void Keep(CutBatch batch)
    {
        var copy = batch with { Body = batch.Body.ToArray() };
        lock (_lock)
        {
            _kept.Enqueue(copy);
            _bytes += copy.Body.Length;
        }
    }

    /// <summary>The results of every batch through <paramref name="written"/> are written: their copies go.</summary>
    public void Written(BatchLedger.Entry written)
    {
        lock (_lock)
        {
            while (_kept.TryPeek(out var oldest) && oldest.Sequence <= written.Sequence)
            {
                _kept.Dequeue();
                _bytes -= oldest.Body.Length;
            }
        }
    }

    public IAsyncEnumerable<CutBatch> ReplayAsync(long first, long end, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _kept.Where(b => b.Sequence >= first && b.Sequence < end).ToList().ToAsyncEnumerable();
        }
    }
}
