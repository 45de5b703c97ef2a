using ICSharpCode.SharpZipLib;
using ICSharpCode.SharpZipLib.GZip;
using ZstdSharp;

namespace Streaming.Producer.Job.Input;

/// <summary>
/// A compressed input read as its decompressed bytes, forward only: gzip (one member or several concatenated) or zstd
/// (one frame or several). A truncated or corrupt input throws <see cref="InputDamagedException"/> naming where the
/// damage is, never ends early as if the input were shorter.
/// </summary>
internal sealed class DecompressedInput : Stream
{
    private const int FileBufferBytes = 256 * 1024;

    private readonly Stream _file;
    private readonly Stream _decompressor;
    private readonly InputCompression _compression;
    private long _position;

    private DecompressedInput(Stream file, InputCompression compression)
    {
        _file = file;
        _compression = compression;
        _decompressor = compression == InputCompression.Gzip
            ? new GZipInputStream(file, FileBufferBytes) { IsStreamOwner = false }
            : new DecompressionStream(file, FileBufferBytes, checkEndOfStream: true, leaveOpen: true);
    }

    /// <param name="file">The compressed bytes: a file, or standard input (<see cref="ReplayedHead"/>), whose
    /// <see cref="Stream.Position"/> tells how many bytes were read.</param>
    public static DecompressedInput Open(Stream file, InputCompression compression) => new(file, compression);

    /// <summary>How many bytes of the compressed file the decompressor has taken so far.</summary>
    public long CompressedPosition => _file.Position;

    public long CompressedLength => _file.Length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Reads and drops <paramref name="count"/> decompressed bytes: where a resumed or retransmitted cut starts
    /// (a compressed stream cannot be entered in the middle).</summary>
    /// <exception cref="InputShrankException">The input ends before that.</exception>
    public async ValueTask SkipAsync(long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(count, FileBufferBytes)];
        while (count > 0)
        {
            var read = await ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken);
            if (read == 0)
            {
                throw new InputShrankException($"the input decompresses to {_position:N0} bytes now, fewer than the {_position + count:N0} already published");
            }
            count -= read;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            var read = _decompressor.Read(buffer);
            _position += read;
            return read;
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw Damaged(ex);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            var read = await _decompressor.ReadAsync(buffer, cancellationToken);
            _position += read;
            return read;
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            throw Damaged(ex);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private static bool IsDamage(Exception ex) =>
        ex is SharpZipBaseException or ZstdException or EndOfStreamException or InvalidDataException;

    private InputDamagedException Damaged(Exception ex) => new(
        $"the {_compression.Name()} input is damaged near byte {_file.Position:N0}{(_file.CanSeek ? $" of its {_file.Length:N0}" : "")} "
        + $"(after {_position:N0} decompressed bytes): {ex.Message}",
        ex);

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
            _decompressor.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _decompressor.DisposeAsync();
        await _file.DisposeAsync();
        await base.DisposeAsync();
    }
}
