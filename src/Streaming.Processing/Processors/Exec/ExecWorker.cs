using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>Lines for a worker, and where their answers go: <c>Lines[i]</c> is line <c>Indexes[i]</c> of the batch.</summary>
internal sealed record WorkerRun(IReadOnlyList<ReadOnlyMemory<byte>> Lines, IReadOnlyList<int> Indexes, ILineRunResults Results);

/// <summary>How a run on one worker ended: <paramref name="Answered"/> lines from the first were answered, and
/// <paramref name="Sent"/> written to the worker; when fewer were answered than asked, the worker is gone and
/// <paramref name="Failure"/> says why ("command exited with code N").</summary>
internal readonly record struct WorkerRunOutcome(int Answered, int Sent, string? Failure);

/// <summary>
/// One long-lived worker process of an <c>exec:</c> command: lines go to its stdin, one answer per line comes back on
/// its stdout, in order, with up to a run of lines in flight (pipelined). A worker that starts by writing
/// <see cref="FramedHello"/> answers in the framed form (<c>+output</c> or <c>-reason</c>); any other is plain (each
/// output line is the answer). Its stderr goes to the log (<see cref="WorkerStderr"/>).
/// </summary>
internal sealed class ExecWorker : IAsyncDisposable
{
    /// <summary>The first line a framed worker writes, before any answer; a NUL byte first, so that a plain program
    /// never writes it by accident.</summary>
    public static ReadOnlySpan<byte> FramedHello => "\0streaming-worker framed 1"u8;

    private const int ReadChunk = 64 * 1024;
    private static readonly TimeSpan s_exitWait = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly WorkerStderr _stderr;
    private readonly ExecSettings _settings;
    private readonly ILogger _logger;
    private byte[] _read = ArrayPool<byte>.Shared.Rent(2 * ReadChunk);
    private int _readStart;
    private int _readEnd;
    private bool? _framed;
    private bool _discarding;
    private int _sent;
    private volatile bool _broken;

    private ExecWorker(Process process, ExecSettings settings, ILogger logger)
    {
        _process = process;
        Id = process.Id;
        _settings = settings;
        _logger = logger;
        _stdin = process.StandardInput.BaseStream;
        _stdout = process.StandardOutput.BaseStream;
        _stderr = WorkerStderr.Start(process.StandardError.BaseStream, logger, Id);
    }

    public int Id { get; }

    /// <summary>False once the worker died, was killed, or lost its place in the answers.</summary>
    public bool IsUsable => !_broken && !_process.HasExited;

    /// <summary>True once the worker wrote <see cref="FramedHello"/>; null until its first line.</summary>
    public bool? Framed => _framed;

    public string? LastStderrLine => _stderr.LastLine;

    /// <summary>Starts a worker. Throws <see cref="System.ComponentModel.Win32Exception"/> when the program cannot
    /// be started.</summary>
    public static ExecWorker Start(ExecCommand command, ExecSettings settings, ILogger logger)
    {
        var info = new ProcessStartInfo(command.Program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("the command did not start");
        ExecLog.Started(logger, process.Id, command.Text);
        return new ExecWorker(process, settings, logger);
    }

    /// <summary>Sends lines <paramref name="from"/> to <paramref name="from"/> + <paramref name="count"/> − 1 of the
    /// run and reports their answers. A line with no answer for <see cref="ExecSettings.LineTimeout"/> gets the
    /// worker killed.</summary>
    /// <exception cref="OperationCanceledException">The service is stopping; the worker is killed.</exception>
    public async Task<WorkerRunOutcome> RunAsync(WorkerRun run, int from, int count, CancellationToken cancellationToken)
    {
        _sent = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.LineTimeout);
        int answered;
        try
        {
            using (timeout.Token.UnsafeRegister(static state => ((ExecWorker)state!).Kill(), this))
            {
                // Its own task: a pipe write that blocks must not keep the answers from being read (or both sides wait).
                var writing = Task.Run(() => WriteLinesAsync(run.Lines, from, count, timeout.Token), CancellationToken.None);
                answered = await ReadAnswersAsync(run, from, count, timeout);
                await writing;
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Kill();     // whichever way the cancellation came out, the worker does not outlive it
            throw;
        }
        if (answered == count)
        {
            return new WorkerRunOutcome(answered, count, null);
        }
        _broken = true;
        if (timeout.IsCancellationRequested)
        {
            Kill();     // the callback may not have run yet: the read's own cancellation can come first
            return new WorkerRunOutcome(answered, Volatile.Read(ref _sent),
                $"command took longer than {_settings.LineTimeout.TotalSeconds:0.###} s on this line (worker killed)");
        }
        return new WorkerRunOutcome(answered, Volatile.Read(ref _sent), $"command exited with code {await ExitCodeAsync()}");
    }

    private async Task WriteLinesAsync(IReadOnlyList<ReadOnlyMemory<byte>> lines, int from, int count, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReadChunk);
        try
        {
            var used = 0;
            var buffered = 0;   // lines in the buffer, not yet written
            for (var i = from; i < from + count; i++)
            {
                var line = lines[i];
                if (used + line.Length + 1 > buffer.Length)
                {
                    await _stdin.WriteAsync(buffer.AsMemory(0, used), cancellationToken);
                    Volatile.Write(ref _sent, _sent + buffered);
                    used = buffered = 0;
                    if (line.Length + 1 > buffer.Length)
                    {
                        await _stdin.WriteAsync(line, cancellationToken);
                        buffer[used++] = (byte)'\n';
                        buffered++;
                        continue;
                    }
                }
                line.Span.CopyTo(buffer.AsSpan(used));
                used += line.Length;
                buffer[used++] = (byte)'\n';
                buffered++;
            }
            await _stdin.WriteAsync(buffer.AsMemory(0, used), cancellationToken);
            await _stdin.FlushAsync(cancellationToken);
            Volatile.Write(ref _sent, _sent + buffered);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The worker is gone (or stopped reading): the reader finds its end and reports it.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<int> ReadAnswersAsync(WorkerRun run, int from, int count, CancellationTokenSource timeout)
    {
        var answered = 0;
        while (true)
        {
            var before = answered;
            while (answered < count && TryTakeLine(out var start, out var length))
            {
                var line = _read.AsSpan(start, length);
                if (_discarding)
                {
                    _discarding = false;
                    Fail(run, from + answered++, $"the command's output line is longer than {_settings.MaxOutputLineBytes} bytes");
                    continue;
                }
                if (_framed is null)
                {
                    _framed = line.SequenceEqual(FramedHello);
                    if (_framed.Value)
                    {
                        continue;
                    }
                }
                Answer(run, from + answered++, line);
            }
            if (answered == count)
            {
                return answered;
            }
            if (answered > before)
            {
                timeout.CancelAfter(_settings.LineTimeout);
            }
            MakeRoomToRead();
            int read;
            try
            {
                read = await _stdout.ReadAsync(_read.AsMemory(_readEnd), timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                read = 0;
            }
            if (read == 0)
            {
                return answered;    // the worker closed its output: it died or was killed
            }
            _readEnd += read;
        }
    }

    private bool TryTakeLine(out int start, out int length)
    {
        start = _readStart;
        length = _read.AsSpan(_readStart, _readEnd - _readStart).IndexOf((byte)'\n');
        if (length < 0)
        {
            return false;
        }
        _readStart += length + 1;
        return true;
    }

    /// <summary>Keeps the unanswered tail at the buffer's start with a chunk of room after it; a tail longer than the
    /// output limit is dropped and its line failed when its end comes.</summary>
    private void MakeRoomToRead()
    {
        var pending = _readEnd - _readStart;
        if (_discarding || pending > _settings.MaxOutputLineBytes)
        {
            _discarding = true;
            _readStart = _readEnd = 0;
            return;
        }
        if (_read.Length - _readEnd >= ReadChunk)
        {
            return;
        }
        var target = _read;
        if (pending + ReadChunk > _read.Length)
        {
            target = ArrayPool<byte>.Shared.Rent(2 * (pending + ReadChunk));
        }
        _read.AsSpan(_readStart, pending).CopyTo(target);
        if (!ReferenceEquals(target, _read))
        {
            ArrayPool<byte>.Shared.Return(_read);
            _read = target;
        }
        _readStart = 0;
        _readEnd = pending;
    }

    private void Answer(WorkerRun run, int position, ReadOnlySpan<byte> line)
    {
        if (_framed != true)
        {
            run.Results.Succeeded(run.Indexes[position], line);
        }
        else if (line.Length > 0 && line[0] == (byte)'+')
        {
            run.Results.Succeeded(run.Indexes[position], line[1..]);
        }
        else if (line.Length > 0 && line[0] == (byte)'-')
        {
            var reason = Encoding.UTF8.GetString(line[1..]).Trim();
            Fail(run, position, reason.Length == 0 ? "the command failed the line" : reason);
        }
        else
        {
            Fail(run, position, "the command wrote an answer that is not framed ('+' or '-' first)");
        }
    }

    private static void Fail(WorkerRun run, int position, string reason) => run.Results.Failed(run.Indexes[position], reason);

    /// <summary>The worker's exit code once it has exited; killed first when it closed its output but lives on.</summary>
    public async Task<int> ExitCodeAsync()
    {
        using var wait = new CancellationTokenSource(s_exitWait);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            using var killed = new CancellationTokenSource(s_exitWait);
            await _process.WaitForExitAsync(killed.Token);
        }
        return _process.ExitCode;
    }

    /// <summary>For the start-up check: the worker's first output bytes (0 when it closed its output).</summary>
    public async Task<int> ReadFirstOutputAsync(Memory<byte> buffer)
    {
        try
        {
            return await _stdout.ReadAsync(buffer);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>Waits until the stderr pump has read everything (bounded).</summary>
    public async Task StderrDrainedAsync()
    {
        try
        {
            await _stderr.Pump.WaitAsync(s_exitWait);
        }
        catch (TimeoutException)
        {
            // A child of the worker still holds its stderr open.
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the worker to exit by itself; true when it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Kill()
    {
        _broken = true;
        try
        {
            _process.Kill();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>Stops the worker: end of input and SIGTERM, SIGKILL after <see cref="ExecSettings.StopGrace"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _stdin.Dispose();
        }
        catch (IOException)
        {
            // It died with input unread.
        }
        if (!_process.HasExited)
        {
            PosixSignals.Terminate(Id);
            if (!await WaitForExitAsync(_settings.StopGrace))
            {
                ExecLog.KilledAfterGrace(_logger, Id, _settings.StopGrace.TotalSeconds);
                Kill();
                await WaitForExitAsync(s_exitWait);
            }
        }
        await StderrDrainedAsync();
        _process.Dispose();
        ArrayPool<byte>.Shared.Return(_read);
        _read = [];
    }
}
