using Streaming.Messaging.Contract;

namespace Streaming.Producer.Collecting;

/// <summary>
/// The parts received so far for one batch that arrived ahead of its turn. Parts come from halving, so any two are
/// either nested or disjoint: a part inside one we hold is a duplicate; a part that holds ours replaces them.
/// </summary>
internal sealed class PendingBatch(int lineCount)
{
    private readonly List<LineResult> _parts = [];
    private int _covered;

    public bool IsComplete => _covered == lineCount;

    public IEnumerable<LineResult> PartsInOrder => _parts.OrderBy(p => p.Header.PartStart);

    /// <summary>Adds a part whose body the caller has copied; false when it adds nothing new.</summary>
    public bool TryAdd(LineResult part)
    {
        var header = part.Header;
        foreach (var held in _parts)
        {
            if (header.IsWithin(held.Header))
            {
                return false;
            }
            if (!held.Header.IsWithin(header) && Overlaps(held.Header, header))
            {
                throw new MessageFormatException(
                    $"part [{header.PartStart}, +{header.PartCount}) overlaps a held part without nesting");
            }
        }
        _covered -= _parts.Where(p => p.Header.IsWithin(header)).Sum(p => p.Header.PartCount);
        _parts.RemoveAll(p => p.Header.IsWithin(header));
        _parts.Add(part);
        _covered += header.PartCount;
        return true;
    }

    private static bool Overlaps(BatchHeader a, BatchHeader b) =>
        a.PartStart < b.PartStart + b.PartCount && b.PartStart < a.PartStart + a.PartCount;
}
