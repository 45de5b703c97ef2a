using System.Buffers.Binary;

namespace Streaming.Messaging.Contract;

/// <summary>
/// The fixed 52-byte header shared by batch and result messages (little-endian):
/// magic "SLM1" | kind u8 | schema u8 | reserved u16 | job id (16) | sequence i64 | first line i64 |
/// batch line count i32 | part start i32 | part count i32.
/// </summary>
internal static class WireFormat
{
    public const uint Magic = 0x314D4C53; // "SLM1"
    public const byte SchemaVersion = 1;
    public const int HeaderSize = 52;

    public static void WriteHeader(Span<byte> destination, MessageKind kind, in BatchHeader header)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        destination[4] = (byte)kind;
        destination[5] = SchemaVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        header.JobId.TryWriteBytes(destination.Slice(8, 16));
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], header.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], header.FirstLine);
        BinaryPrimitives.WriteInt32LittleEndian(destination[40..], header.BatchLineCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[44..], header.PartStart);
        BinaryPrimitives.WriteInt32LittleEndian(destination[48..], header.PartCount);
    }

    public static BatchHeader ReadHeader(ReadOnlySpan<byte> source, MessageKind expectedKind)
    {
        if (source.Length < HeaderSize)
        {
            throw new MessageFormatException($"message of {source.Length} bytes is shorter than the {HeaderSize}-byte header");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
        {
            throw new MessageFormatException("not a Streaming message (bad magic)");
        }
        var kind = (MessageKind)source[4];
        if (kind != expectedKind)
        {
            throw new MessageFormatException($"expected a {expectedKind} message, got kind {source[4]}");
        }
        if (source[5] != SchemaVersion)
        {
            throw new MessageFormatException($"unknown schema version {source[5]}");
        }
        var header = new BatchHeader(
            new Guid(source.Slice(8, 16)),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[40..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[44..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[48..]));
        Validate(header);
        return header;
    }

    /// <summary>Reads the header and every entry (flag u8 | length u32 | bytes), checking each against the body.</summary>
    /// <returns>Where each line's bytes start (its framing sits in the 5 bytes before).</returns>
    public static int[] ReadEntries(ReadOnlySpan<byte> span, MessageKind kind, int maxLineBytes, out BatchHeader header)
    {
        header = ReadHeader(span, kind);
        // Each line needs at least 5 bytes of framing, so a lying count cannot make us allocate past the body.
        if ((long)header.PartCount * 5 > span.Length - HeaderSize)
        {
            throw new MessageFormatException($"{header.PartCount} lines cannot fit in {span.Length} bytes");
        }
        var lines = new int[header.PartCount];
        var position = HeaderSize;
        for (var i = 0; i < lines.Length; i++)
        {
            if (span.Length - position < 5)
            {
                throw new MessageFormatException($"line {i} is truncated");
            }
            var flag = span[position];
            if (flag > (kind == MessageKind.Batch ? LineFlag.OverLimit : LineStatus.Failed))
            {
                throw new MessageFormatException($"line {i} has unknown flag {flag}");
            }
            var length = BinaryPrimitives.ReadUInt32LittleEndian(span[(position + 1)..]);
            position += 5;
            if (length > (uint)maxLineBytes || length > (uint)(span.Length - position))
            {
                throw new MessageFormatException($"line {i} claims {length} bytes, more than the message or limit allows");
            }
            if (kind == MessageKind.Batch && flag == LineFlag.OverLimit && length != 0)
            {
                throw new MessageFormatException($"line {i} is marked over the limit but carries bytes");
            }
            lines[i] = position;
            position += (int)length;
        }
        if (position != span.Length)
        {
            throw new MessageFormatException($"{span.Length - position} trailing bytes after the last line");
        }
        return lines;
    }

    private static void Validate(in BatchHeader h)
    {
        if (h.Sequence < 0)
        {
            throw new MessageFormatException($"sequence {h.Sequence} is negative");
        }
        if (h.FirstLine < 1 || h.FirstLine > long.MaxValue - BatchHeader.MaxLinesPerBatch)
        {
            throw new MessageFormatException($"first line {h.FirstLine} is out of range");
        }
        if (h.BatchLineCount < 1 || h.BatchLineCount > BatchHeader.MaxLinesPerBatch)
        {
            throw new MessageFormatException($"batch line count {h.BatchLineCount} is out of range");
        }
        if (h.PartStart < 0 || h.PartCount < 1 || h.PartStart > h.BatchLineCount - h.PartCount)
        {
            throw new MessageFormatException(
                $"part [{h.PartStart}, +{h.PartCount}) does not fit a batch of {h.BatchLineCount} lines");
        }
    }
}
