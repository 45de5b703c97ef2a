using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Input;

/// <summary>
/// A hash (XXH128) of an input's first bytes, kept in the checkpoint: a resumed run checks that its input starts with
/// the same bytes the first run published, not only that its path, length and modification time are the same (an input
/// rewritten by <c>cp -p</c> or <c>rsync -t</c> keeps those). It reads the input a second time, behind the publisher, as
/// far as each checkpoint reaches; the bytes are in the page cache by then.
/// <para>A compressed input's checkpoint offsets are in decompressed bytes; its fingerprint covers the compressed bytes
/// the decompressor had taken when the batch ending there was cut (<see cref="RecordCut"/>): the same compressed
/// bytes decompress to the same bytes, and they are hashed without decompressing them a second time.</para>
/// </summary>
internal sealed class InputFingerprint : IDisposable
{
    private const int ChunkBytes = 1024 * 1024;
    private const int MinChunkBytes = 4096;

    private readonly Lock _lock = new();
    private readonly XxHash128 _hash = new();
    private readonly SafeFileHandle _input;
    private readonly ConcurrentDictionary<long, long> _compressedEnds = new();
    private long _hashedThrough;

    public InputFingerprint(string inputPath)
    {
        _input = PosixFiles.OpenInput(inputPath);
        Compression = InputCompressionDetector.Detect(_input);
    }

    public InputCompression Compression { get; }

    /// <summary>How many of the file's own bytes the last fingerprint covers (for a compressed input's checkpoint).</summary>
    public long? CompressedThrough => Compression == InputCompression.None ? null : Volatile.Read(ref _hashedThrough);

    /// <summary>The primary cursor cut a batch ending at decompressed byte <paramref name="offset"/> with
    /// <paramref name="compressedRead"/> bytes of the file taken; a checkpoint's record of the same (on resume).</summary>
    public void RecordCut(long offset, long compressedRead) => _compressedEnds[offset] = compressedRead;

    /// <summary>The fingerprint of the input's first <paramref name="offset"/> bytes (offsets only grow).</summary>
    /// <exception cref="InputShrankException">The input is shorter than that now.</exception>
    public string Through(long offset)
    {
        lock (_lock)
        {
            var through = RawOffset(offset);
            if (through < _hashedThrough)
            {
                throw new InvalidOperationException($"the fingerprint is past {through:N0} already");
            }
            var chunk = ChunkFor(through - _hashedThrough);
            var buffer = ArrayPool<byte>.Shared.Rent(chunk);
            try
            {
                while (_hashedThrough < through)
                {
                    var wanted = (int)Math.Min(chunk, through - _hashedThrough);
                    var read = RandomAccess.Read(_input, buffer.AsSpan(0, wanted), _hashedThrough);
                    if (read == 0)
                    {
                        throw new InputShrankException($"the input ends at {_hashedThrough:N0} bytes now, before the {through:N0} already published");
                    }
                    _hash.Append(buffer.AsSpan(0, read));
                    Volatile.Write(ref _hashedThrough, _hashedThrough + read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return Convert.ToHexStringLower(_hash.GetCurrentHash());
        }
    }

    /// <summary>The hash of the whole file as stored now (its compressed bytes, for a compressed input): what a completed
    /// job's summary records, for <c>redrive</c> to check its input against (<see cref="OfWholeFile"/>). Called once the
    /// last checkpoint is taken; it goes on from where the checkpoints left the hash.</summary>
    public string WholeFile()
    {
        lock (_lock)
        {
            var chunk = ChunkFor(RandomAccess.GetLength(_input) - _hashedThrough);
            var buffer = ArrayPool<byte>.Shared.Rent(chunk);
            try
            {
                int read;
                while ((read = RandomAccess.Read(_input, buffer.AsSpan(0, chunk), _hashedThrough)) > 0)
                {
                    _hash.Append(buffer.AsSpan(0, read));
                    Volatile.Write(ref _hashedThrough, _hashedThrough + read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return Convert.ToHexStringLower(_hash.GetCurrentHash());
        }
    }

    /// <summary>The hash <see cref="WholeFile"/> gives for the file at <paramref name="inputPath"/>, read once.</summary>
    public static string OfWholeFile(string inputPath)
    {
        using var fingerprint = new InputFingerprint(inputPath);
        return fingerprint.WholeFile();
    }

    /// <summary>A buffer no larger than what is left to read: a megabyte rented for every small file of a folder of them
    /// kept the shared pool's large arrays, and the watch service's memory, growing with the files in flight.</summary>
    private static int ChunkFor(long bytesLeft) => (int)Math.Clamp(bytesLeft, MinChunkBytes, ChunkBytes);

    /// <summary>The file's own offset for <paramref name="offset"/>, forgetting the batches before it.</summary>
    private long RawOffset(long offset)
    {
        if (Compression == InputCompression.None || offset == 0)
        {
            return offset;
        }
        if (!_compressedEnds.TryGetValue(offset, out var compressed))
        {
            throw new InvalidOperationException($"no batch of the compressed input was cut to end at byte {offset:N0}");
        }
        foreach (var earlier in _compressedEnds.Keys.Where(k => k < offset))
        {
            _compressedEnds.TryRemove(earlier, out _);
        }
        return compressed;
    }

    public void Dispose() => _input.Dispose();
}
