using System.Buffers;
using Streaming.Messaging.Contract;

namespace Streaming.Producer.Job.Core;

/// <summary>Results that arrived before their turn (or whose write failed), by sequence; the window keeps it to a few
/// batches, and the process's <see cref="ReorderBudget"/> to a number of bytes.</summary>
internal sealed class ReorderBuffer
{
    private readonly Dictionary<long, PendingBatch> _pending = [];

    public int Count => _pending.Count;

    /// <summary>Bytes of every result held (a few batches: the window keeps the count small).</summary>
    public long HeldBytes => _pending.Values.Sum(p => p.HeldBytes);

    public bool Contains(long sequence) => _pending.ContainsKey(sequence);

    /// <summary>The sequences of which something is held.</summary>
    public IEnumerable<long> Sequences => _pending.Keys;

    /// <summary>Keeps a pooled copy of <paramref name="result"/>'s body, with the lines as they were decoded (released with
    /// the batch: the delivery's body is the broker client's again once its handler returns); false when it duplicates
    /// what is held.</summary>
    public bool Add(LineResult result)
    {
        var header = result.Header;
        if (!_pending.TryGetValue(header.Sequence, out var pending))
        {
            pending = new PendingBatch(header.BatchLineCount);
            _pending.Add(header.Sequence, pending);
        }
        var rented = ArrayPool<byte>.Shared.Rent(result.Body.Length);
        return pending.TryAdd(result.CopyTo(rented), rented);
    }

    /// <summary>The batch <paramref name="sequence"/> when every part of it is held; it stays held until <see cref="Remove"/>.</summary>
    public bool TryPeekComplete(long sequence, out PendingBatch batch) =>
        _pending.TryGetValue(sequence, out batch!) && batch.IsComplete;

    public void Remove(long sequence) => _pending.Remove(sequence);

    /// <summary>What is held of batch <paramref name="sequence"/>, complete or not.</summary>
    public bool TryGet(long sequence, out PendingBatch batch) => _pending.TryGetValue(sequence, out batch!);
}
