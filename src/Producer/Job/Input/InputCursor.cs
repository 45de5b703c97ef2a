using Streaming.Messaging.Contract;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Input;

/// <summary>
/// A job's input read from a batch boundary on, cut into the same batches whichever boundary it starts from: the first
/// publish reads it from the checkpoint (or the start), the retransmission from the first batch still out.
/// </summary>
internal sealed class InputCursor : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly BatchCutter _cutter;

    private InputCursor(FileStream stream, BatchCutter cutter)
    {
        _stream = stream;
        _cutter = cutter;
    }

    /// <summary>The sequence the next batch cut will have.</summary>
    public long NextSequence => _cutter.NextSequence;

    /// <summary>Opens <paramref name="path"/> at byte <paramref name="offset"/>, where batch <paramref name="sequence"/>
    /// starts with line <paramref name="firstLine"/>.</summary>
    public static InputCursor Open(string path, CutSettings cut, Guid jobId, long offset, long sequence, long firstLine)
    {
        var stream = new FileStream(PosixFiles.OpenInput(path), FileAccess.Read, bufferSize: 0);
        try
        {
            stream.Position = offset;
            return new InputCursor(stream, new BatchCutter(stream, cut, jobId, offset, sequence, firstLine, stream.Length - offset));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The next batch, encoded into <paramref name="writer"/>; null at the end of the input.</summary>
    public ValueTask<CutBatch?> CutAsync(MessageWriter writer, CancellationToken cancellationToken) =>
        _cutter.CutAsync(writer, cancellationToken);

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
