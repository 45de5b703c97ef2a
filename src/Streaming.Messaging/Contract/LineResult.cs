namespace Streaming.Messaging.Contract;

/// <summary>
/// A decoded result for a batch or part: per line, status u8 | length u32 | bytes
/// (the output line, or a UTF-8 reason when the status is <see cref="LineStatus.Failed"/>).
/// </summary>
internal sealed class LineResult
{
    private LineResult(BatchHeader header, ReadOnlyMemory<byte> body, IReadOnlyList<LineSlice> lines)
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

    /// <summary>Reads only the header of a result message (to route it); throws <see cref="MessageFormatException"/> only.</summary>
    public static BatchHeader ReadHeader(ReadOnlySpan<byte> body) => WireFormat.ReadHeader(body, MessageKind.Result);

    /// <summary>Decodes <paramref name="body"/> without copying it; throws <see cref="MessageFormatException"/> only.</summary>
    public static LineResult Decode(ReadOnlyMemory<byte> body, int maxLineBytes)
    {
        var offsets = WireFormat.ReadEntries(body.Span, MessageKind.Result, maxLineBytes, out var header);
        return new LineResult(header, body, new LineIndex(body, offsets));
    }
}
