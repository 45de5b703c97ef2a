using System.Buffers;
using System.Text;
using System.Text.Json;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Stdin;

/// <summary>
/// Standard input's job output: each input line gives one line on standard output, in input order (<see cref="StdoutFormat"/>);
/// with <see cref="StdoutFormat.Plain"/>, a failed line is an empty line there and a JSON line
/// <c>{"line":N,"error":"…"}</c> on <paramref name="errors"/> (standard error, or the caller's <c>--errors</c> file).
/// A batch's lines gather in memory and go out in one write at its commit, so a reader sees the results as their batches
/// complete, never a line split by a flush.
/// </summary>
/// <remarks>A write that fails ends the job (<see cref="Broken"/>): what reached the reader cannot be taken back.</remarks>
internal sealed class StdoutSink(Stream stdout, StdoutFormat format, Stream? errors) : ICollectedOutput, IAsyncDisposable
{
    private const int KeptBufferBytes = 4 * 1024 * 1024;
    private const byte NewLine = (byte)'\n';
    private const byte SuccessTag = (byte)'+';
    private const byte FailureTag = (byte)'!';

    private readonly CancellationTokenSource _broken = new();
    private Task _breaking = Task.CompletedTask;
    private ArrayBufferWriter<byte> _pendingOutput = new();
    private ArrayBufferWriter<byte> _pendingErrors = new();
    private long _pendingFailed;
    private long _outputLength;
    private long _errorsLength;

    public long FailedLines { get; private set; }

    public OutputLengths Lengths => new(_outputLength, _errorsLength, FailedLines);

    /// <summary>Cancelled once a write has failed (<see cref="Failure"/> says why).</summary>
    public CancellationToken Broken => _broken.Token;

    /// <summary>Why a write failed, or null.</summary>
    public StandardOutputFailedException? Failure { get; private set; }

    public void Append(LineResult result)
    {
        var firstLine = result.Header.PartFirstLine;
        for (var i = 0; i < result.Lines.Count; i++)
        {
            var bytes = result.LineBytes(i);
            if (result.Lines[i].Flag != LineStatus.Ok)
            {
                WriteFailure(firstLine + i, Encoding.UTF8.GetString(bytes));
            }
            else if (bytes.Contains(NewLine))
            {
                WriteFailure(firstLine + i, JobOutput.LineBreakInResult);
            }
            else
            {
                WriteLine(bytes);
            }
        }
    }

    public void AppendFailure(long lineNumber, ReadOnlySpan<byte> reason) => WriteFailure(lineNumber, Encoding.UTF8.GetString(reason));

    public void Commit()
    {
        try
        {
            stdout.Write(_pendingOutput.WrittenSpan);
            if (errors is not null && _pendingErrors.WrittenCount > 0)
            {
                errors.Write(_pendingErrors.WrittenSpan);
                errors.Flush();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            var failed = new StandardOutputFailedException($"standard output could not be written: {ex.Message}", ex);
            if (Failure is null)
            {
                Failure = failed;
                // Called under the collector's lock: the job hears it on the thread pool, not inline here.
                _breaking = _broken.CancelAsync();
            }
            Discard();
            throw failed;
        }
        _outputLength += _pendingOutput.WrittenCount;
        _errorsLength += _pendingErrors.WrittenCount;
        FailedLines += _pendingFailed;
        Discard();
    }

    public void Discard()
    {
        _pendingOutput = Reset(_pendingOutput);
        _pendingErrors = Reset(_pendingErrors);
        _pendingFailed = 0;
    }

    /// <summary>Nothing to push: every commit is one write to the stream, which buffers nothing.</summary>
    public void Flush()
    {
    }

    public async ValueTask DisposeAsync()
    {
        await _breaking;
        _broken.Dispose();
    }

    private void WriteLine(ReadOnlySpan<byte> bytes)
    {
        if (format == StdoutFormat.Tagged)
        {
            Put(_pendingOutput, SuccessTag);
        }
        _pendingOutput.Write(bytes);
        Put(_pendingOutput, NewLine);
    }

    private void WriteFailure(long lineNumber, string reason)
    {
        if (format == StdoutFormat.Tagged)
        {
            Put(_pendingOutput, FailureTag);
            _pendingOutput.Write(Encoding.UTF8.GetBytes(OneLine(reason)));
        }
        Put(_pendingOutput, NewLine);
        if (errors is not null)
        {
            _pendingErrors.Write(JsonSerializer.SerializeToUtf8Bytes(new LineError(lineNumber, reason), ProducerJsonContext.Default.LineError));
            Put(_pendingErrors, NewLine);
        }
        _pendingFailed++;
    }

    /// <summary>The reason on one line: a line break in it would make two lines of the output.</summary>
    internal static string OneLine(string reason) => reason.Replace('\r', ' ').Replace('\n', ' ');

    private static void Put(ArrayBufferWriter<byte> pending, byte value)
    {
        pending.GetSpan(1)[0] = value;
        pending.Advance(1);
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
}
