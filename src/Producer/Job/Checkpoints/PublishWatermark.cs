using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Streaming.Producer.Job.Checkpoints;

/// <summary>
/// How far a job's publishing got, kept beside its checkpoint (<c>&lt;name&gt;.published</c>, 16 bytes: the last line
/// handed to the broker, and the lines published more than once so far). Once kept, it is written before each batch is
/// published, so after a <c>kill -9</c> the resumed run knows which of the batches it publishes again from the
/// checkpoint the killed run had already sent: their lines are counted as re-published (<c>linesRepublished</c> in
/// the summary), as are the lines of batches the retransmission timeout sends again. A plain write without fsync:
/// it survives the death of the process, which is what it is for; a figure, not a guarantee.
/// <para>Only a run resumed from a checkpoint reads it, so a new job's file is created by <see cref="Keep"/>, just
/// before its first checkpoint: a job that ends before then (a small file) never creates one. It goes with the
/// checkpoint when the job is complete (<see cref="FileSystem.JobFileMoves.RemoveWatermark"/>).</para>
/// </summary>
internal sealed class PublishWatermark : IDisposable
{
    private const int Size = 16;

    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly byte[] _record = new byte[Size];
    private SafeFileHandle? _file;
    private bool _disposed;
    private long _publishedThrough;
    private long _republished;

    private PublishWatermark(string path, SafeFileHandle? file, long previousRunPublishedThrough, long republished)
    {
        _path = path;
        _file = file;
        PreviousRunPublishedThrough = previousRunPublishedThrough;
        _publishedThrough = previousRunPublishedThrough;
        _republished = republished;
    }

    /// <summary>The last line an earlier run of this job had handed to the broker (0 for a new job).</summary>
    public long PreviousRunPublishedThrough { get; }

    public long Republished
    {
        get
        {
            lock (_lock)
            {
                return _republished;
            }
        }
    }

    /// <summary>Opens the watermark of a job that resumes from its checkpoint, with the earlier runs' figures; a new
    /// job's starts from nothing, in memory until <see cref="Keep"/>.</summary>
    public static PublishWatermark Open(string path, bool resuming)
    {
        if (!resuming)
        {
            return new PublishWatermark(path, null, 0, 0);
        }
        var file = OpenFile(path);
        var record = new byte[Size];
        var valid = RandomAccess.Read(file, record, 0) == Size;
        var watermark = new PublishWatermark(
            path,
            file,
            valid ? BinaryPrimitives.ReadInt64LittleEndian(record) : 0,
            valid ? BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(8)) : 0);
        lock (watermark._lock)
        {
            watermark.Write();
        }
        return watermark;
    }

    /// <summary>Called just before a batch cut from the file is published.</summary>
    public void Publishing(long firstLine, int lineCount)
    {
        lock (_lock)
        {
            var lastLine = firstLine + lineCount - 1;
            if (lastLine <= PreviousRunPublishedThrough)
            {
                _republished += lineCount;
            }
            _publishedThrough = Math.Max(_publishedThrough, lastLine);
            Write();
        }
    }

    /// <summary>Called before a batch is published again by the retransmission timeout.</summary>
    public void Retransmitting(int lineCount)
    {
        lock (_lock)
        {
            _republished += lineCount;
            Write();
        }
    }

    /// <summary>Writes the figures to the file from now on (creating it, or overwriting an earlier job's): called before
    /// each checkpoint is saved, since a run resumed from one reads them.</summary>
    public void Keep()
    {
        lock (_lock)
        {
            if (_file is not null || _disposed)
            {
                return;
            }
            _file = OpenFile(_path);
            Write();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _file?.Dispose();
        }
    }

    private static SafeFileHandle OpenFile(string path) =>
        File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);

    private void Write()
    {
        if (_file is null)
        {
            return;
        }
        BinaryPrimitives.WriteInt64LittleEndian(_record, _publishedThrough);
        BinaryPrimitives.WriteInt64LittleEndian(_record.AsSpan(8), _republished);
        RandomAccess.Write(_file, _record, 0);
    }
}
