using System.Text;
using System.Text.Json;
using Streaming.Producer.Jobs;

namespace Streaming.Producer.Collecting;

/// <summary>
/// A job's output files while it runs: <c>.out.partial</c> (one line per input line) and
/// <c>.errors.jsonl.partial</c>, truncated to the checkpoint on resume, renamed when complete.
/// </summary>
internal sealed class JobOutput : IAsyncDisposable
{
    private const int BufferSize = 1024 * 1024;
    private static readonly byte[] s_newLine = [(byte)'\n'];

    private readonly JobFiles _files;
    private readonly FileStream _output;
    private readonly FileStream _errors;

    private JobOutput(JobFiles files, FileStream output, FileStream errors, long failedLines)
    {
        _files = files;
        _output = output;
        _errors = errors;
        FailedLines = failedLines;
    }

    public long FailedLines { get; private set; }

    public long OutputLength => _output.Position;

    public long ErrorsLength => _errors.Position;

    public static JobOutput Open(JobFiles files, JobCheckpoint? checkpoint)
    {
        Directory.CreateDirectory(files.OutputDirectory);
        if (checkpoint is not null)
        {
            ReclaimCompleted(files.Output);
            ReclaimCompleted(files.Errors);
        }
        var output = OpenAt(JobFiles.Partial(files.Output), checkpoint?.OutputLength ?? 0);
        var errors = OpenAt(JobFiles.Partial(files.Errors), checkpoint?.ErrorsLength ?? 0);
        return new JobOutput(files, output, errors, checkpoint?.FailedLines ?? 0);
    }

    public void WriteLine(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _output.Write(s_newLine);
    }

    public void WriteFailure(long lineNumber, ReadOnlySpan<byte> reason)
    {
        _output.Write(s_newLine);
        var entry = new LineError(lineNumber, Encoding.UTF8.GetString(reason));
        JsonSerializer.Serialize(_errors, entry, ProducerJsonContext.Default.LineError);
        _errors.Write(s_newLine);
        FailedLines++;
    }

    /// <summary>Pushes buffered bytes to the OS and, when <paramref name="durable"/>, to the disk.</summary>
    public void Flush(bool durable)
    {
        _output.Flush(durable);
        _errors.Flush(durable);
    }

    public async Task SaveCheckpointAsync(JobCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        Flush(durable: true);
        await WriteAtomicallyAsync(_files.Checkpoint, checkpoint, ProducerJsonContext.Default.JobCheckpoint, cancellationToken);
    }

    /// <summary>Makes the outputs final: renames them, writes the summary, forgets the checkpoint.</summary>
    public async Task CompleteAsync(JobSummary summary, CancellationToken cancellationToken)
    {
        Flush(durable: true);
        await _output.DisposeAsync();
        await _errors.DisposeAsync();
        File.Move(JobFiles.Partial(_files.Output), _files.Output, overwrite: true);
        if (FailedLines > 0)
        {
            File.Move(JobFiles.Partial(_files.Errors), _files.Errors, overwrite: true);
        }
        else
        {
            File.Delete(JobFiles.Partial(_files.Errors));
            File.Delete(_files.Errors);
        }
        await WriteAtomicallyAsync(_files.Summary, summary, ProducerJsonContext.Default.JobSummary, cancellationToken);
        File.Delete(_files.Checkpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _output.DisposeAsync();
        await _errors.DisposeAsync();
    }

    /// <summary>
    /// A crash while the outputs were being made final leaves an output under its final name with the checkpoint
    /// still there (it goes last): that file is this job's, complete at least up to the checkpoint, so it becomes
    /// the partial output again and the job resumes from the checkpoint as usual.
    /// </summary>
    private static void ReclaimCompleted(string path)
    {
        var partial = JobFiles.Partial(path);
        if (!File.Exists(partial) && File.Exists(path))
        {
            File.Move(path, partial);
        }
    }

    private static FileStream OpenAt(string path, long length)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, BufferSize);
        if (stream.Length < length)
        {
            stream.Dispose();
            throw new InvalidDataException($"'{path}' is shorter than its checkpoint says");
        }
        stream.SetLength(length);
        stream.Position = length;
        return stream;
    }

    private static async Task WriteAtomicallyAsync<T>(
        string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, value, type, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
