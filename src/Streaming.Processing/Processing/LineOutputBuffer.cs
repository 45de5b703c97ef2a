using System.Buffers;

namespace Streaming.Consumer.Processing;

/// <summary>A pooled <see cref="IBufferWriter{T}"/> that can drop what a failed line wrote.</summary>
internal sealed class LineOutputBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);

    public int WrittenCount { get; private set; }

    public int Capacity => _buffer.Length;

    public ReadOnlySpan<byte> Slice(int offset, int length) => _buffer.AsSpan(offset, length);

    public void Advance(int count)
    {
        if (count < 0 || WrittenCount + count > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        WrittenCount += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(WrittenCount);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(WrittenCount);
    }

    public void Truncate(int length) => WrittenCount = length;

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 256);
        if (_buffer.Length - WrittenCount >= sizeHint)
        {
            return;
        }
        var bigger = ArrayPool<byte>.Shared.Rent(checked(Math.Max(_buffer.Length * 2, WrittenCount + sizeHint)));
        _buffer.AsSpan(0, WrittenCount).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
