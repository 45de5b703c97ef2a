namespace Streaming.Messaging.Contract;

/// <summary>
/// A decoded result for a batch or part: per line, status u8 | length u32 | bytes
/// (the output line, or a UTF-8 reason when the status is <see cref="LineStatus.Failed"/>).
/// </summary>
public sealed class LineResult
{
    private LineResult(BatchHeader header, ReadOnlyMemory<byte> body, LineSlice[] lines)
    {
        Header = header;
        Body = body;
        Lines = lines;
    }

    public BatchHeader Header { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public IReadOnlyList<LineSlice> Lines { get; }

    public ReadOnlySpan<byte> LineBytes(int index)
    {
        var slice = Lines[index];
        return Body.Span.Slice(slice.Offset, slice.Length);
    }

    /// <summary>Decodes <paramref name="body"/> without copying it; throws <see cref="MessageFormatException"/> only.</summary>
    public static LineResult Decode(ReadOnlyMemory<byte> body, int maxLineBytes)
    {
        var span = body.Span;
        var header = WireFormat.ReadHeader(span, MessageKind.Result);
        if ((long)header.PartCount * 5 > span.Length - WireFormat.HeaderSize)
        {
            throw new MessageFormatException($"{header.PartCount} lines cannot fit in {span.Length} bytes");
        }
        var lines = new LineSlice[header.PartCount];
        var position = WireFormat.HeaderSize;
        for (var i = 0; i < lines.Length; i++)
        {
            lines[i] = LineBatch.ReadEntry(span, ref position, maxLineBytes, i, static s => s is LineStatus.Ok or LineStatus.Failed);
        }
        if (position != span.Length)
        {
            throw new MessageFormatException($"{span.Length - position} trailing bytes after the last line");
        }
        return new LineResult(header, body, lines);
    }
}
