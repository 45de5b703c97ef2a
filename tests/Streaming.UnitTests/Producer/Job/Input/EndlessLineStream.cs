namespace Streaming.UnitTests.Producer.Job.Input;

/// <summary>One line of <paramref name="length"/> 'x' bytes and a newline, then "tail\n", generated without holding them.</summary>
internal sealed class EndlessLineStream(long length) : Stream
{
    private static readonly byte[] s_tail = "\ntail\n"u8.ToArray();
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length + s_tail.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var written = 0;
        while (written < count && _position < Length)
        {
            buffer[offset + written++] = _position < length ? (byte)'x' : s_tail[_position - length];
            _position++;
        }
        return written;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
