using System.Buffers;
using System.IO.Compression;
using Streaming.Producer.Job.FileSystem;
using ZstdSharp;

namespace Streaming.Producer.Job.Output;

/// <summary>
/// Compresses one batch's output into one complete gzip member or zstd frame. Members and frames concatenated
/// decompress to the concatenation of their contents, so an output cut back to the end of any batch (its committed
/// length) is still a whole compressed file.
/// </summary>
internal sealed class MemberCompressor(OutputCompression compression) : IDisposable
{
    private const int ZstdLevel = 3;

    private readonly ArrayBufferWriter<byte> _member = new();
    private readonly Compressor? _zstd = compression == OutputCompression.Zstd ? new Compressor(ZstdLevel) : null;

    /// <summary>The member or frame holding <paramref name="content"/>; valid until the next call.</summary>
    public ReadOnlySpan<byte> Compress(ReadOnlySpan<byte> content)
    {
        _member.ResetWrittenCount();
        if (content.IsEmpty)
        {
            return [];
        }
        if (_zstd is not null)
        {
            var written = _zstd.Wrap(content, _member.GetSpan(Compressor.GetCompressBound(content.Length)));
            _member.Advance(written);
            return _member.WrittenSpan;
        }
        // Fastest: zlib-ng's level 1 keeps up with the collector; gzip -9 can recompress the result if space matters more.
        using (var gzip = new GZipStream(new BufferWriterStream(_member), CompressionLevel.Fastest))
        {
            gzip.Write(content);
        }
        return _member.WrittenSpan;
    }

    public void Dispose() => _zstd?.Dispose();

    /// <summary>A write-only stream into a buffer writer.</summary>
    private sealed class BufferWriterStream(IBufferWriter<byte> target) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer) => target.Write(buffer);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
