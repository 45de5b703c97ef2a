using Streaming.Messaging.Contract;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Input;

/// <summary>
/// A job's input read from a batch boundary on, cut into the same batches whichever boundary it starts from: the first
/// publish reads it from the checkpoint (or the start), the retransmission from the first batch still out. Offsets are
/// in the bytes the lines are cut from: a compressed input's decompressed bytes, which it decompresses again from the
/// start to reach one.
/// </summary>
internal sealed class InputCursor : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly BatchCutter _cutter;
    private readonly Action<long, long, bool>? _onCut;
    private readonly Action<CutBatch>? _onBatch;

    private InputCursor(Stream stream, BatchCutter cutter, Action<long, long, bool>? onCut, Action<CutBatch>? onBatch = null)
    {
        _stream = stream;
        _cutter = cutter;
        _onCut = onCut;
        _onBatch = onBatch;
    }

    /// <summary>The sequence the next batch cut will have.</summary>
    public long NextSequence => _cutter.NextSequence;

    /// <summary>Opens <paramref name="path"/> at byte <paramref name="offset"/>, where batch <paramref name="sequence"/>
    /// starts with line <paramref name="firstLine"/>. For a compressed input, <paramref name="onCut"/> hears after each
    /// cut where it ended (decompressed), how many of the file's bytes the decompressor had taken, and whether the input
    /// ended.</summary>
    /// <exception cref="InputShrankException">A compressed input decompresses to fewer bytes than the offset.</exception>
    public static async Task<InputCursor> OpenAsync(
        string path, CutSettings cut, Guid jobId, long offset, long sequence, long firstLine, Action<long, long, bool>? onCut,
        CancellationToken cancellationToken)
    {
        var handle = PosixFiles.OpenInput(path);
        var compression = InputCompressionDetector.Detect(handle);
        var file = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        Stream stream = file;
        try
        {
            if (compression == InputCompression.None)
            {
                file.Position = offset;
                return new InputCursor(file, new BatchCutter(file, cut, jobId, offset, sequence, firstLine, file.Length - offset), null);
            }
            var decompressed = DecompressedInput.Open(file, compression);
            stream = decompressed;
            await decompressed.SkipAsync(offset, cancellationToken);
            return new InputCursor(decompressed, new BatchCutter(decompressed, cut, jobId, offset, sequence, firstLine), onCut);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>A stream read once from its start (standard input), its lines cut from its first byte on;
    /// <paramref name="onBatch"/> sees each batch as soon as it is cut, before it is published. Disposing the cursor
    /// disposes the stream.</summary>
    public static InputCursor FromStream(
        Stream stream, CutSettings cut, Guid jobId, Action<CutBatch> onBatch, TimeSpan batchWait, TimeProvider time) =>
        new(stream, new BatchCutter(stream, cut, jobId, startOffset: 0, nextSequence: 0, nextLine: 1, batchWait: batchWait, time: time),
            onCut: null, onBatch);

    /// <summary>The next batch, encoded into <paramref name="writer"/>; null at the end of the input.</summary>
    public async ValueTask<CutBatch?> CutAsync(MessageWriter writer, CancellationToken cancellationToken)
    {
        var batch = await _cutter.CutAsync(writer, cancellationToken);
        if (batch is not null)
        {
            _onBatch?.Invoke(batch);
        }
        if (_onCut is not null && _stream is DecompressedInput decompressed)
        {
            _onCut(batch?.EndOffset ?? decompressed.Position, decompressed.CompressedPosition, batch is null);
        }
        return batch;
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
