using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Diagnostics;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;

namespace Streaming.Producer.Job.Output;

/// <summary>
/// A job's output files while it runs: <c>.out.partial</c> (one line per input line) and
/// <c>.errors.jsonl.partial</c>, truncated to the checkpoint on resume, renamed when complete. A compressed output
/// (<c>.out.gz</c>, <c>.out.zst</c>) holds one member or frame per batch written (<see cref="MemberCompressor"/>), so
/// its committed length is always the end of one.
/// </summary>
/// <remarks>
/// A batch is written whole or not at all: its lines gather in memory and go to the files in one write each at the
/// committed length, and a write that fails (a full disk, an I/O error) is cut back to that length and forgotten, so
/// the same result can be written again later without a copy of its head staying behind. The errors file is opened
/// at the first failed line (or on resume, when the checkpoint vouches for some): a job whose lines all pass creates,
/// syncs and deletes no errors file, which is most of what a small file costs the disk.
/// </remarks>
internal sealed class JobOutput : ICollectedOutput, IAsyncDisposable
{
    private const int KeptBufferBytes = 4 * 1024 * 1024;
    private const int CountBufferBytes = 1024 * 1024;
    private const byte NewLine = (byte)'\n';

    /// <summary>Why an output line that holds a line break fails: written as it is, it would be two lines of the output.</summary>
    public const string LineBreakInResult =
        "the consumer's output for this line contains a line break (\\n), which would split it into two output lines";

    private readonly JobFiles _files;
    private readonly SafeFileHandle _output;
    private SafeFileHandle? _errors;
    private readonly MemberCompressor? _compressor;
    private ArrayBufferWriter<byte> _pendingOutput = new();
    private ArrayBufferWriter<byte> _pendingErrors = new();
    private long _pendingFailed;
    private bool _remainsPastLength;
    private long _flushedOutputLength;
    private long _flushedErrorsLength;

    private JobOutput(JobFiles files, SafeFileHandle output, SafeFileHandle? errors, OutputLengths? checkpoint)
    {
        _files = files;
        _output = output;
        _errors = errors;
        _compressor = files.Compression == OutputCompression.None ? null : new MemberCompressor(files.Compression);
        OutputLength = _flushedOutputLength = checkpoint?.Output ?? 0;
        ErrorsLength = _flushedErrorsLength = checkpoint?.Errors ?? 0;
        FailedLines = checkpoint?.FailedLines ?? 0;
    }

    /// <summary>Failed lines written so far (committed batches only).</summary>
    public long FailedLines { get; private set; }

    /// <summary>Bytes of the output that belong to committed batches.</summary>
    public long OutputLength { get; private set; }

    public long ErrorsLength { get; private set; }

    public OutputLengths Lengths => new(OutputLength, ErrorsLength, FailedLines);

    /// <summary>Opens the partial outputs, cut back to the lengths <paramref name="checkpoint"/> vouches for, or empty.</summary>
    public static JobOutput Open(JobFiles files, OutputLengths? checkpoint)
    {
        Directory.CreateDirectory(files.OutputDirectory);
        if (checkpoint is not null)
        {
            files.ReclaimCompleted();
        }
        else
        {
            files.RemoveOtherPartialOutputs();
        }
        var output = OpenAt(JobFiles.Partial(files.Output), checkpoint?.Output ?? 0);
        try
        {
            var errors = checkpoint is { Errors: > 0 } ? OpenAt(JobFiles.Partial(files.Errors), checkpoint.Errors) : null;
            return new JobOutput(files, output, errors, checkpoint);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    public void Append(LineResult result)
    {
        var firstLine = result.Header.PartFirstLine;
        for (var i = 0; i < result.Lines.Count; i++)
        {
            if (result.Lines[i].Flag != LineStatus.Ok)
            {
                WriteFailure(firstLine + i, result.LineBytes(i));
            }
            else if (result.LineBytes(i).Contains(NewLine))
            {
                // A rogue or old consumer: one line each, or the output no longer matches its line count.
                WriteFailure(firstLine + i, LineBreakInResult);
            }
            else
            {
                WriteLine(result.LineBytes(i));
            }
        }
    }

    public void AppendFailure(long lineNumber, ReadOnlySpan<byte> reason) => WriteFailure(lineNumber, reason);

    /// <summary>Adds a line to the batch being written (<see cref="Commit"/> writes it).</summary>
    public void WriteLine(ReadOnlySpan<byte> bytes)
    {
        _pendingOutput.Write(bytes);
        _pendingOutput.GetSpan(1)[0] = NewLine;
        _pendingOutput.Advance(1);
    }

    /// <summary>Adds a failed line to the batch being written: an empty output line and an errors.jsonl entry.</summary>
    public void WriteFailure(long lineNumber, ReadOnlySpan<byte> reason) => WriteFailure(lineNumber, Encoding.UTF8.GetString(reason));

    private void WriteFailure(long lineNumber, string reason)
    {
        _pendingOutput.GetSpan(1)[0] = NewLine;
        _pendingOutput.Advance(1);
        var entry = new LineError(lineNumber, reason);
        _pendingErrors.Write(JsonSerializer.SerializeToUtf8Bytes(entry, ProducerJsonContext.Default.LineError));
        _pendingErrors.GetSpan(1)[0] = NewLine;
        _pendingErrors.Advance(1);
        _pendingFailed++;
    }

    /// <summary>Writes the batch gathered since the last commit; on failure the files are as before and the batch is gone.</summary>
    /// <exception cref="IOException">The batch could not be written (the disk is full, say); nothing of it stays. Likewise
    /// anything else <see cref="StorageFault.Is"/> names (an immutable file: <see cref="UnauthorizedAccessException"/>).</exception>
    public void Commit()
    {
        int written;
        try
        {
            var output = _compressor is null ? _pendingOutput.WrittenSpan : _compressor.Compress(_pendingOutput.WrittenSpan);
            written = output.Length;
            if (FaultInjection.FailThisWrite())
            {
                RandomAccess.Write(_output, output[..(output.Length / 2)], OutputLength);
                throw new IOException("No space left on device (injected by " + FaultInjection.FailWritesVariable + ")");
            }
            RandomAccess.Write(_output, output, OutputLength);
            if (_pendingErrors.WrittenCount > 0)
            {
                // An errors file left by an earlier run past what its checkpoint vouches for is cut back as it opens.
                _errors ??= OpenAt(JobFiles.Partial(_files.Errors), ErrorsLength);
                RandomAccess.Write(_errors, _pendingErrors.WrittenSpan, ErrorsLength);
            }
        }
        catch (Exception ex) when (StorageFault.Is(ex))
        {
            CutBack();
            Discard();
            throw;
        }
        OutputLength += written;
        ErrorsLength += _pendingErrors.WrittenCount;
        FailedLines += _pendingFailed;
        Discard();
    }

    /// <summary>Forgets the batch gathered since the last commit.</summary>
    public void Discard()
    {
        _pendingOutput = Reset(_pendingOutput);
        _pendingErrors = Reset(_pendingErrors);
        _pendingFailed = 0;
    }

    /// <summary>Pushes what is committed to the disk for a checkpoint: a file committed no further since its last flush
    /// is not synced again (a new job's first checkpoint vouches for empty outputs, which need no fsync).</summary>
    public void Flush() => Flush(always: false);

    /// <summary>With <paramref name="always"/>, the outputs are synced whatever was committed (a cut back to the
    /// committed length must be durable before they are made final).</summary>
    private void Flush(bool always)
    {
        if (always || OutputLength != _flushedOutputLength)
        {
            RandomAccess.FlushToDisk(_output);
            _flushedOutputLength = OutputLength;
        }
        if (_errors is not null && (always || ErrorsLength != _flushedErrorsLength))
        {
            RandomAccess.FlushToDisk(_errors);
            _flushedErrorsLength = ErrorsLength;
        }
    }

    /// <summary>
    /// Checks the output against what was committed (its length and <paramref name="lines"/> lines; the errors file's
    /// length and line count), then makes the outputs final: renames them, writes the summary, forgets the checkpoint,
    /// and syncs the folder so that the completed job survives power loss.
    /// </summary>
    /// <exception cref="OutputMismatchException">The files on disk are not what this job wrote.</exception>
    public async Task CompleteAsync(JobSummary summary, long lines, CancellationToken cancellationToken)
    {
        if (_remainsPastLength)
        {
            RandomAccess.SetLength(_output, OutputLength);
            if (_errors is not null)
            {
                RandomAccess.SetLength(_errors, ErrorsLength);
            }
        }
        Flush(always: true);
        Verify(_output, JobFiles.Partial(_files.Output), OutputLength, lines, _files.Compression);
        if (_errors is not null)
        {
            Verify(_errors, JobFiles.Partial(_files.Errors), ErrorsLength, FailedLines, OutputCompression.None);
        }
        _output.Dispose();
        _errors?.Dispose();
        await _files.CompleteAsync(FailedLines > 0, summary, ProducerJsonContext.Default.JobSummary, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _compressor?.Dispose();
        _output.Dispose();
        _errors?.Dispose();
        return ValueTask.CompletedTask;
    }

    private void CutBack()
    {
        try
        {
            RandomAccess.SetLength(_output, OutputLength);
            if (_errors is not null)
            {
                RandomAccess.SetLength(_errors, ErrorsLength);
            }
        }
        catch (Exception ex) when (StorageFault.Is(ex))
        {
            // Every write goes at the committed length, so what stays past it is overwritten or cut off at the end.
            _remainsPastLength = true;
        }
    }

    private static ArrayBufferWriter<byte> Reset(ArrayBufferWriter<byte> pending)
    {
        if (pending.Capacity > KeptBufferBytes)
        {
            return new ArrayBufferWriter<byte>();
        }
        pending.ResetWrittenCount();
        return pending;
    }

    /// <summary>Reads the file back through this job's own handle: its length and line count must be what was written
    /// (a compressed output's line count is its decompressed bytes').</summary>
    private static void Verify(SafeFileHandle file, string path, long expectedLength, long expectedLines, OutputCompression compression)
    {
        var length = RandomAccess.GetLength(file);
        if (length != expectedLength)
        {
            throw new OutputMismatchException($"'{path}' has {length:N0} bytes, but this job wrote {expectedLength:N0}");
        }
        var (lines, whole) = compression == OutputCompression.None ? CountLines(file, length) : CountDecompressedLines(file, path, compression);
        if (lines != expectedLines || !whole)
        {
            throw new OutputMismatchException($"'{path}' has {lines:N0} lines, but this job wrote {expectedLines:N0}");
        }
    }

    /// <summary>The lines of the file, and whether it ends with a line break (or is empty).</summary>
    private static (long Lines, bool Whole) CountLines(SafeFileHandle file, long length)
    {
        // No larger than the file: a small file's output rents a small buffer (see InputFingerprint.ChunkFor).
        var chunk = (int)Math.Clamp(length, 1, CountBufferBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            long lines = 0;
            for (long offset = 0; offset < length;)
            {
                var read = RandomAccess.Read(file, buffer.AsSpan(0, chunk), offset);
                if (read == 0)
                {
                    break;
                }
                lines += buffer.AsSpan(0, read).Count(NewLine);
                offset += read;
            }
            return (lines, length == 0 || EndsWithNewLine(file, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (long Lines, bool Whole) CountDecompressedLines(SafeFileHandle file, string path, OutputCompression compression)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CountBufferBytes);
        try
        {
            using var decompressed = DecompressedInput.Open(
                new FileStream(new SafeFileHandle(file.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, bufferSize: 0),
                compression == OutputCompression.Gzip ? InputCompression.Gzip : InputCompression.Zstd);
            long lines = 0;
            var whole = true;
            int read;
            while ((read = decompressed.Read(buffer.AsSpan(0, CountBufferBytes))) > 0)
            {
                lines += buffer.AsSpan(0, read).Count(NewLine);
                whole = buffer[read - 1] == NewLine;
            }
            return (lines, whole);
        }
        catch (InputDamagedException ex)
        {
            throw new OutputMismatchException($"'{path}' does not decompress: {ex.InnerException?.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool EndsWithNewLine(SafeFileHandle file, long length)
    {
        Span<byte> last = stackalloc byte[1];
        return RandomAccess.Read(file, last, length - 1) == 1 && last[0] == NewLine;
    }

    private static SafeFileHandle OpenAt(string path, long length)
    {
        var handle = PosixFiles.OpenForWriting(path);
        try
        {
            if (RandomAccess.GetLength(handle) < length)
            {
                throw new InvalidDataException($"'{path}' is shorter than its checkpoint says");
            }
            RandomAccess.SetLength(handle, length);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
