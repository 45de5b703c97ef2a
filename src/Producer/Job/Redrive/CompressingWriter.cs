using System.Buffers;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Redrive;

/// <summary>
/// A write-only stream into an output file, compressed as a run writes it (<see cref="MemberCompressor"/>: one gzip
/// member or zstd frame per chunk of about a mebibyte) or as it is. <see cref="Complete"/> writes what is left and
/// flushes the file to disk.
/// </summary>
internal sealed class CompressingWriter(FileStream file, OutputCompression compression) : Stream
{
    private const int ChunkBytes = 1024 * 1024;

    private readonly MemberCompressor? _compressor = compression == OutputCompression.None ? null : new MemberCompressor(compression);
    private readonly ArrayBufferWriter<byte> _chunk = new(ChunkBytes);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var room = Math.Min(buffer.Length, ChunkBytes - _chunk.WrittenCount);
            _chunk.Write(buffer[..room]);
            buffer = buffer[room..];
            if (_chunk.WrittenCount == ChunkBytes)
            {
                WriteChunk();
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Writes the last chunk and flushes the file to disk.</summary>
    public void Complete()
    {
        WriteChunk();
        file.Flush(flushToDisk: true);
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _compressor?.Dispose();
        }
        base.Dispose(disposing);
    }

    private void WriteChunk()
    {
        if (_chunk.WrittenCount == 0)
        {
            return;
        }
        file.Write(_compressor is null ? _chunk.WrittenSpan : _compressor.Compress(_chunk.WrittenSpan));
        _chunk.ResetWrittenCount();
    }
}
