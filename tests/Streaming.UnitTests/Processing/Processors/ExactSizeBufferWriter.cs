using System.Buffers;

namespace Streaming.UnitTests.Processing.Processors;

/// <summary>
/// Hands out spans of exactly the size asked for (at least one byte), in separate arrays, so a processor that writes
/// past what it asked for, or forgets to advance before asking again, fails loudly.
/// </summary>
internal sealed class ExactSizeBufferWriter : IBufferWriter<byte>
{
    private readonly List<byte> _written = [];
    private byte[] _current = [];

    public byte[] WrittenBytes => [.. _written];

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _current.Length);
        _written.AddRange(_current.AsSpan(0, count));
        _current = [];
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        _current = new byte[Math.Max(sizeHint, 1)];
        return _current;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}
