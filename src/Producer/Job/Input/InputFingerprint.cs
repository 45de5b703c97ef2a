using System.Buffers;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Input;

/// <summary>
/// A hash (XXH128) of an input's first bytes, kept in the checkpoint: a resumed run checks that its input starts with
/// the same bytes the first run published, not only that its path, length and modification time are the same (an input
/// rewritten by <c>cp -p</c> or <c>rsync -t</c> keeps those). It reads the input a second time, behind the publisher, as
/// far as each checkpoint reaches; the bytes are in the page cache by then. A compressed input's fingerprint is of its
/// decompressed bytes (the offsets are), decompressed a second time.
/// </summary>
internal sealed class InputFingerprint : IDisposable
{
    private const int ChunkBytes = 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly XxHash128 _hash = new();
    private readonly SafeFileHandle _input;
    private readonly DecompressedInput? _decompressed;
    private long _hashedThrough;

    public InputFingerprint(string inputPath)
    {
        _input = PosixFiles.OpenInput(inputPath);
        var compression = InputCompressionDetector.Detect(_input);
        if (compression != InputCompression.None)
        {
            _decompressed = DecompressedInput.Open(new FileStream(PosixFiles.OpenInput(inputPath), FileAccess.Read, bufferSize: 0), compression);
        }
    }

    /// <summary>True when the input is compressed: its offsets are in decompressed bytes.</summary>
    public bool Compressed => _decompressed is not null;

    /// <summary>The fingerprint of the input's first <paramref name="offset"/> bytes (offsets only grow).</summary>
    /// <exception cref="InputShrankException">The input is shorter than that now.</exception>
    public string Through(long offset)
    {
        lock (_lock)
        {
            if (offset < _hashedThrough)
            {
                throw new InvalidOperationException($"the fingerprint is past {offset:N0} already");
            }
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                while (_hashedThrough < offset)
                {
                    var wanted = (int)Math.Min(ChunkBytes, offset - _hashedThrough);
                    var read = _decompressed is null
                        ? RandomAccess.Read(_input, buffer.AsSpan(0, wanted), _hashedThrough)
                        : _decompressed.Read(buffer.AsSpan(0, wanted));
                    if (read == 0)
                    {
                        throw new InputShrankException($"the input ends at {_hashedThrough:N0} bytes now, before the {offset:N0} already published");
                    }
                    _hash.Append(buffer.AsSpan(0, read));
                    _hashedThrough += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return Convert.ToHexStringLower(_hash.GetCurrentHash());
        }
    }

    public void Dispose()
    {
        _decompressed?.Dispose();
        _input.Dispose();
    }
}
