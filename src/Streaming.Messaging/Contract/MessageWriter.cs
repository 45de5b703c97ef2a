using System.Buffers;
using System.Buffers.Binary;

namespace Streaming.Messaging.Contract;

/// <summary>
/// Builds one batch or result message in a pooled buffer: header first (patched at the end), then entries.
/// A line may be appended in several pieces, so the producer never needs a whole line in a separate buffer.
/// Not thread-safe; return the buffer with <see cref="Dispose"/>.
/// </summary>
internal sealed class MessageWriter : IDisposable
{
    /// <summary>Bytes of every message before its first entry.</summary>
    public const int HeaderBytes = WireFormat.HeaderSize;

    /// <summary>Bytes each entry takes besides its own (flag u8, length u32).</summary>
    public const int EntryFramingBytes = 5;

    private byte[] _buffer;
    private int _length;
    private int _openEntry = -1;
    private int _entries;

    public MessageWriter(int initialCapacity = 64 * 1024)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, WireFormat.HeaderSize + 64));
        Reset();
    }

    public int EntryCount => _entries;

    /// <summary>Payload bytes written so far (framing included), excluding the header.</summary>
    public int PayloadLength => _length - WireFormat.HeaderSize;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public void Reset()
    {
        _length = WireFormat.HeaderSize;
        _entries = 0;
        _openEntry = -1;
    }

    /// <summary>Starts an entry whose bytes follow through <see cref="Append"/> and end with <see cref="EndEntry"/>.</summary>
    public void BeginEntry(byte flag)
    {
        if (_openEntry >= 0)
        {
            throw new InvalidOperationException("an entry is already open");
        }
        Ensure(5);
        _buffer[_length] = flag;
        _openEntry = _length;
        _length += 5;
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Reserves <paramref name="sizeHint"/> bytes for the open entry; follow with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int sizeHint)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _buffer.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    public void EndEntry()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_openEntry + 1), (uint)(_length - _openEntry - 5));
        _openEntry = -1;
        _entries++;
    }

    /// <summary>Bytes appended to the open entry so far.</summary>
    public int OpenEntryLength => _length - _openEntry - 5;

    /// <summary>The open entry's last byte (the entry must not be empty).</summary>
    public byte OpenEntryLastByte => _buffer[_length - 1];

    /// <summary>Drops the last <paramref name="count"/> bytes of the open entry.</summary>
    public void TrimOpenEntry(int count) => _length -= Math.Min(count, OpenEntryLength);

    /// <summary>Drops the open entry's bytes and gives it another flag (a line found to be over the limit).</summary>
    public void ResetOpenEntry(byte flag)
    {
        _length = _openEntry + 5;
        _buffer[_openEntry] = flag;
    }

    public void WriteEntry(byte flag, ReadOnlySpan<byte> bytes)
    {
        BeginEntry(flag);
        Append(bytes);
        EndEntry();
    }

    /// <summary>Writes the header and returns the finished message, valid until the next change or dispose.</summary>
    public ReadOnlyMemory<byte> Complete(MessageKind kind, in BatchHeader header)
    {
        if (_openEntry >= 0)
        {
            throw new InvalidOperationException("an entry is still open");
        }
        if (header.PartCount != _entries)
        {
            throw new InvalidOperationException($"header says {header.PartCount} lines, {_entries} were written");
        }
        WireFormat.WriteHeader(_buffer, kind, header);
        return WrittenMemory;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra)
        {
            return;
        }
        var bigger = ArrayPool<byte>.Shared.Rent(checked(Math.Max(_buffer.Length * 2, _length + extra)));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
