using System.Buffers;
using Streaming.Messaging.Contract;

namespace Streaming.Consumer.Processing;

/// <summary>
/// Cuts a result that would pass the broker's message size limit into parts that fit. It halves, as the quarantine
/// splits a batch, so every part any consumer ever makes of a batch nests inside or lies beside every other: the
/// collector joins such parts, and drops one that lies inside a part it holds.
/// </summary>
internal static class ResultSplitter
{
    /// <summary>A run of a result's entries sent as one message of <see cref="Bytes"/>, header included;
    /// <see cref="Oversized"/>: one line whose output alone passes the limit, to be sent as a failed line instead.</summary>
    public readonly record struct Part(int Start, int Count, long Bytes, bool Oversized);

    /// <param name="entryBytes">Each entry's size in the message, framing included.</param>
    /// <param name="maxMessageBytes">The most a message may hold, header included.</param>
    /// <returns>The parts in order, covering every entry once; one part when the whole result fits.</returns>
    public static List<Part> Plan(ReadOnlySpan<int> entryBytes, int maxMessageBytes)
    {
        var prefix = ArrayPool<long>.Shared.Rent(entryBytes.Length + 1);
        try
        {
            prefix[0] = 0;
            for (var i = 0; i < entryBytes.Length; i++)
            {
                prefix[i + 1] = prefix[i] + entryBytes[i];
            }
            var parts = new List<Part>();
            Cut(prefix, 0, entryBytes.Length, maxMessageBytes, parts);
            return parts;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(prefix);
        }
    }

    private static void Cut(long[] prefix, int start, int count, int maxMessageBytes, List<Part> parts)
    {
        var bytes = MessageWriter.HeaderBytes + prefix[start + count] - prefix[start];
        if (bytes <= maxMessageBytes || count == 1)
        {
            parts.Add(new Part(start, count, bytes, bytes > maxMessageBytes));
            return;
        }
        var firstHalf = count / 2;
        Cut(prefix, start, firstHalf, maxMessageBytes, parts);
        Cut(prefix, start + firstHalf, count - firstHalf, maxMessageBytes, parts);
    }
}
