namespace Streaming.Messaging.Contract;

/// <summary>
/// A decoded result for a batch or part: per line, status u8 | length u32 | bytes
/// (the output line, or a UTF-8 reason when the status is <see cref="LineStatus.Failed"/>).
/// </summary>
internal sealed class LineResult
{
    private readonly int[] _offsets;

    private LineResult(BatchHeader header, ReadOnlyMemory<byte> body, int[] offsets)
    {
        Header = header;
        Body = body;
        _offsets = offsets;
        Lines = new LineIndex(body, offsets);
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
        var offsets = WireFormat.ReadEntries(body.Span, MessageKind.Result, maxLineBytes, out var header);
        return new LineResult(header, body, offsets);
    }

    /// <summary>The same result over a copy of its body in <paramref name="destination"/> (at least
    /// <see cref="Body"/>'s length), decoded already: the lines sit at the same offsets in the copy.</summary>
    public LineResult CopyTo(Memory<byte> destination)
    {
        var copy = destination[..Body.Length];
        Body.Span.CopyTo(copy.Span);
        return new LineResult(Header, copy, _offsets);
    }
}
