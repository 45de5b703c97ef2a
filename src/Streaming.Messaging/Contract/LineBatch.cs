namespace Streaming.Messaging.Contract;

/// <summary>
/// A decoded batch (or part of one): the header plus where each line sits in <see cref="Body"/>.
/// Body layout after the header: per line, flag u8 | length u32 | bytes.
/// </summary>
internal sealed class LineBatch
{
    private LineBatch(BatchHeader header, ReadOnlyMemory<byte> body, IReadOnlyList<LineSlice> lines)
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

    /// <summary>Reads only the header of a batch message; throws <see cref="MessageFormatException"/> only.</summary>
    public static BatchHeader ReadHeader(ReadOnlySpan<byte> body) => WireFormat.ReadHeader(body, MessageKind.Batch);

    /// <summary>Decodes <paramref name="body"/> without copying it; throws <see cref="MessageFormatException"/> only.</summary>
    /// <param name="body">The message body; must stay valid while the result is used.</param>
    /// <param name="maxLineBytes">Lines longer than this are rejected as malformed.</param>
    public static LineBatch Decode(ReadOnlyMemory<byte> body, int maxLineBytes)
    {
        var offsets = WireFormat.ReadEntries(body.Span, MessageKind.Batch, maxLineBytes, out var header);
        return new LineBatch(header, body, new LineIndex(body, offsets));
    }

}
