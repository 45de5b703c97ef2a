using System.Buffers;
using Streaming.Messaging.Contract;

namespace Streaming.Producer.Job.Core;

/// <summary>
/// The parts received so far for one batch that arrived ahead of its turn. Parts come from halving, so any two are
/// either nested or disjoint: a part inside one we hold is a duplicate; a part that holds ours replaces them.
/// </summary>
internal sealed class PendingBatch(int lineCount)
{
    private readonly List<HeldPart> _parts = [];
    private int _covered;

    public bool IsComplete => _covered == lineCount;

    /// <summary>Bytes of the results held for this batch.</summary>
    public long HeldBytes { get; private set; }

    public IEnumerable<LineResult> PartsInOrder => _parts.Select(p => p.Result).OrderBy(p => p.Header.PartStart);

    /// <summary>Adds a part decoded from <paramref name="rented"/>, a pooled copy that this batch returns when the
    /// part is replaced or the batch is released; false (and the copy already returned) when it adds nothing new.</summary>
    public bool TryAdd(LineResult part, byte[] rented)
    {
        var header = part.Header;
        foreach (var held in _parts.Select(p => p.Result))
        {
            if (header.IsWithin(held.Header))
            {
                ArrayPool<byte>.Shared.Return(rented);
                return false;
            }
            if (!held.Header.IsWithin(header) && Overlaps(held.Header, header))
            {
                ArrayPool<byte>.Shared.Return(rented);
                throw new MessageFormatException(
                    $"part [{header.PartStart}, +{header.PartCount}) overlaps a held part without nesting");
            }
        }
        foreach (var replaced in _parts.Where(p => p.Result.Header.IsWithin(header)))
        {
            _covered -= replaced.Result.Header.PartCount;
            HeldBytes -= replaced.Result.Body.Length;
            ArrayPool<byte>.Shared.Return(replaced.Rented);
        }
        _parts.RemoveAll(p => p.Result.Header.IsWithin(header));
        _parts.Add(new HeldPart(part, rented));
        _covered += header.PartCount;
        HeldBytes += part.Body.Length;
        return true;
    }

    /// <summary>Returns the pooled copies; the parts must not be used afterwards.</summary>
    public void Release()
    {
        foreach (var part in _parts)
        {
            ArrayPool<byte>.Shared.Return(part.Rented);
        }
        _parts.Clear();
        HeldBytes = 0;
    }

    private readonly record struct HeldPart(LineResult Result, byte[] Rented);

    private static bool Overlaps(BatchHeader a, BatchHeader b) =>
        a.PartStart < b.PartStart + b.PartCount && b.PartStart < a.PartStart + a.PartCount;
}
