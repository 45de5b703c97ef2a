using System.Buffers.Binary;
using System.Collections;

namespace Streaming.Messaging.Contract;

/// <summary>
/// The lines of a decoded message, kept as one offset per line (4 bytes, where the message spends at least 5 on each
/// line's framing), so decoding never allocates more than the message itself; flag and length are read back from the
/// framing just before each line's bytes.
/// </summary>
internal sealed class LineIndex(ReadOnlyMemory<byte> body, int[] offsets) : IReadOnlyList<LineSlice>
{
    public int Count => offsets.Length;

    public LineSlice this[int index]
    {
        get
        {
            var offset = offsets[index];
            var framing = body.Span.Slice(offset - 5, 5);
            return new LineSlice(offset, (int)BinaryPrimitives.ReadUInt32LittleEndian(framing[1..]), framing[0]);
        }
    }

    public IEnumerator<LineSlice> GetEnumerator()
    {
        for (var i = 0; i < offsets.Length; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
