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
/// <remarks>A copy's array is used again for a later batch once its batch is written (batches of about a megabyte would
/// otherwise each be a fresh large-object-heap array, and the process's memory would grow with the garbage between
/// collections), unless a retransmission is reading it: then once that retransmission is over.</remarks>
internal sealed class RetainedBatches : IBatchReplay
{
    private readonly Lock _lock = new();
    private readonly Queue<(CutBatch Batch, byte[] Array)> _kept = new();
    private readonly Stack<byte[]> _free = new();
    private readonly List<byte[]> _releasedWhileReplaying = [];
    private readonly int _freeKept;
    private int _replaying;

    /// <param name="window">The job's window: how many free arrays are worth keeping for the batches to come.</param>
    public RetainedBatches(int window) => _freeKept = window + 2;

    /// <summary>Batches kept now.</summary>
    public int Kept
    {
        get
        {
            lock (_lock)
            {
                return _kept.Count;
            }
        }
    }

    /// <summary>Keeps a copy of <paramref name="batch"/> (its body lives in a writer that is used again once it is
    /// published).</summary>
    public void Keep(CutBatch batch)
    {
        var length = batch.Body.Length;
        lock (_lock)
        {
            var array = _free.TryPop(out var free) && free.Length >= length ? free : new byte[RoundUp(length)];
            batch.Body.CopyTo(array);
            _kept.Enqueue((batch with { Body = array.AsMemory(0, length) }, array));
        }
    }

    /// <summary>The results of every batch through <paramref name="written"/> are written: their copies go.</summary>
    public void Written(BatchLedger.Entry written)
    {
        lock (_lock)
        {
            while (_kept.TryPeek(out var oldest) && oldest.Batch.Sequence <= written.Sequence)
            {
                _kept.Dequeue();
                if (_replaying > 0)
                {
                    _releasedWhileReplaying.Add(oldest.Array);
                }
                else
                {
                    Free(oldest.Array);
                }
            }
        }
    }

    public async IAsyncEnumerable<CutBatch> ReplayAsync(
        long first, long end, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<CutBatch> replayed;
        lock (_lock)
        {
            replayed = [.. _kept.Select(k => k.Batch).Where(b => b.Sequence >= first && b.Sequence < end)];
            _replaying++;
        }
        try
        {
            foreach (var batch in replayed)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return batch;
            }
        }
        finally
        {
            lock (_lock)
            {
                if (--_replaying == 0)
                {
                    _releasedWhileReplaying.ForEach(Free);
                    _releasedWhileReplaying.Clear();
                }
            }
        }
        await Task.CompletedTask;
    }

    /// <summary>To a multiple of 64 KiB: the next batches, of about the same size, fit the array too.</summary>
    private static int RoundUp(int length) => (int)Math.Min(Array.MaxLength, ((long)length + 0xFFFF) & ~0xFFFFL);

    /// <summary>Under the lock.</summary>
    private void Free(byte[] array)
    {
        if (_free.Count < _freeKept)
        {
            _free.Push(array);
        }
    }
}
