using System.Buffers.Binary;

namespace Streaming.Messaging.Contract;

/// <summary>
/// A decoded batch (or part of one): the header plus where each line sits in <see cref="Body"/>.
/// Body layout after the header: per line, flag u8 | length u32 | bytes.
/// </summary>
public sealed class LineBatch
{
    private LineBatch(BatchHeader header, ReadOnlyMemory<byte> body, LineSlice[] lines)
    {
        Header = header;
        Body = body;
        Lines = lines;
    }

    public BatchHeader Header { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public IReadOnlyList<LineSlice> Lines { get; }

    public ReadOnlyMemory<byte> LineBytes(int index)
    {
        var slice = Lines[index];
        return Body.Slice(slice.Offset, slice.Length);
    }

    /// <summary>Decodes <paramref name="body"/> without copying it; throws <see cref="MessageFormatException"/> only.</summary>
    /// <param name="body">The message body; must stay valid while the result is used.</param>
    /// <param name="maxLineBytes">Lines longer than this are rejected as malformed.</param>
    public static LineBatch Decode(ReadOnlyMemory<byte> body, int maxLineBytes)
    {
        var span = body.Span;
        var header = WireFormat.ReadHeader(span, MessageKind.Batch);
        // Each line needs at least 5 bytes of framing, so a lying count cannot make us allocate past the body.
        if ((long)header.PartCount * 5 > span.Length - WireFormat.HeaderSize)
        {
            throw new MessageFormatException($"{header.PartCount} lines cannot fit in {span.Length} bytes");
        }
        var lines = new LineSlice[header.PartCount];
        var position = WireFormat.HeaderSize;
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = ReadEntry(span, ref position, maxLineBytes, i, static flag => flag is LineFlag.Data or LineFlag.OverLimit);
            if (lines[i].Flag == LineFlag.OverLimit && lines[i].Length != 0)
            {
                throw new MessageFormatException($"line {i} is marked over the limit but carries bytes");
            }
        }
        if (position != span.Length)
        {
            throw new MessageFormatException($"{span.Length - position} trailing bytes after the last line");
        }
        return new LineBatch(header, body, lines);
    }

    internal static LineSlice ReadEntry(
        ReadOnlySpan<byte> span, ref int position, int maxLineBytes, int index, Func<byte, bool> isKnownFlag)
    {
        if (span.Length - position < 5)
        {
            throw new MessageFormatException($"line {index} is truncated");
        }
        var flag = span[position];
        if (!isKnownFlag(flag))
        {
            throw new MessageFormatException($"line {index} has unknown flag {flag}");
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(span[(position + 1)..]);
        position += 5;
        if (length > (uint)maxLineBytes || length > (uint)(span.Length - position))
        {
            throw new MessageFormatException($"line {index} claims {length} bytes, more than the message or limit allows");
        }
        var slice = new LineSlice(position, (int)length, flag);
        position += (int)length;
        return slice;
    }
}
