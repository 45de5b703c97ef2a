namespace Streaming.Producer.Job.Input;

/// <summary>
/// A stream read once (standard input) whose first bytes were already taken to tell its compression: they are read
/// again first, then the rest. <see cref="Position"/> counts the bytes read, though the stream cannot seek.
/// </summary>
internal sealed class ReplayedHead(ReadOnlyMemory<byte> head, Stream rest) : Stream
{
    private int _headRead;
    private long _position;

    /// <summary>Reads <paramref name="stream"/>'s first bytes and tells its compression; the stream returned reads it whole
    /// (decompressed), and its reads end when their token is cancelled (<see cref="AbandonableReads"/>).</summary>
    public static async Task<(Stream Stream, InputCompression Compression)> OpenAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new byte[InputCompressionDetector.HeadBytes];
        var read = 0;
        var abandonable = new AbandonableReads(stream);
        while (read < head.Length)
        {
            var got = await abandonable.ReadAsync(head.AsMemory(read), cancellationToken);
            if (got == 0)
            {
                break;
            }
            read += got;
        }
        var compression = InputCompressionDetector.Detect(head.AsSpan(0, read));
        Stream replayed = new ReplayedHead(head.AsMemory(0, read), stream);
        var whole = compression == InputCompression.None ? replayed : DecompressedInput.Open(replayed, compression);
        return (new AbandonableReads(whole), compression);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _headRead < head.Length ? FromHead(buffer) : rest.Read(buffer);
        _position += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = _headRead < head.Length ? FromHead(buffer.Span) : await rest.ReadAsync(buffer, cancellationToken);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            rest.Dispose();
        }
        base.Dispose(disposing);
    }

    private int FromHead(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, head.Length - _headRead);
        head.Span.Slice(_headRead, count).CopyTo(buffer);
        _headRead += count;
        return count;
    }
}
