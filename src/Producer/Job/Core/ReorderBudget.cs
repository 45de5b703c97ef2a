namespace Streaming.Producer.Job.Core;

/// <summary>
/// The bytes of results held for reordering by every job of a process together (<c>Producer:ReorderBudgetMiB</c>), so that
/// consumers answering the batches ahead with large results cannot fill the producer's memory, whatever the windows. The
/// result a job needs next is always taken (<see cref="Take"/>): without it no job would advance and nothing held would
/// ever be let go. Any other is taken only while it fits (<see cref="TryTake"/>); one that does not is not held and
/// comes again later. Thread-safe.
/// </summary>
internal sealed class ReorderBudget
{
    private long _held;

    public ReorderBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public long Capacity { get; }

    /// <summary>Bytes held now (past <see cref="Capacity"/> only by results that were next in turn).</summary>
    public long Held => Interlocked.Read(ref _held);

    /// <summary>Takes <paramref name="bytes"/> when they fit in what is left; false (and nothing taken) when not.</summary>
    public bool TryTake(long bytes)
    {
        while (true)
        {
            var held = Interlocked.Read(ref _held);
            if (held + bytes > Capacity)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _held, held + bytes, held) == held)
            {
                return true;
            }
        }
    }

    /// <summary>Takes <paramref name="bytes"/> whether or not they fit: for the result a job needs next.</summary>
    public void Take(long bytes) => Interlocked.Add(ref _held, bytes);

    public void Return(long bytes) => Interlocked.Add(ref _held, -bytes);
}
