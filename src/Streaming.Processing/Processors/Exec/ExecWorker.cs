using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>Lines for a worker, and where their answers go: <c>Lines[i]</c> is line <c>Indexes[i]</c> of the batch.</summary>
internal sealed record WorkerRun(IReadOnlyList<ReadOnlyMemory<byte>> Lines, IReadOnlyList<int> Indexes, ILineRunResults Results);

/// <summary>Why a run on a worker ended early.</summary>
internal enum WorkerFault
{
    None,

    /// <summary>The worker closed its output: it exited, or was killed by someone else.</summary>
    Exited,

    /// <summary>No answer within the line timeout: the worker was killed.</summary>
    TimedOut,

    /// <summary>The worker wrote something the protocol does not allow: it was killed.</summary>
    OutOfStep,
}

/// <summary>How a run on one worker ended: the first <paramref name="Answered"/> lines were answered and
/// <paramref name="Sent"/> written to the worker. Unless <paramref name="Fault"/> is <see cref="WorkerFault.None"/>,
/// the worker is gone and <paramref name="Reason"/> says why; its answers may then belong to other lines (one answer
/// too few or too many shifts every answer after it, and neither protocol numbers its answers).</summary>
internal readonly record struct WorkerRunOutcome(int Answered, int Sent, WorkerFault Fault, string? Reason)
{
    public static WorkerRunOutcome Complete(int count) => new(count, count, WorkerFault.None, null);
}

/// <summary>What listening to a worker after its last answer heard.</summary>
internal enum WorkerQuiet
{
    /// <summary>Nothing within the wait.</summary>
    Quiet,

    /// <summary>More output: it answered more than it was asked, so its answers may belong to other lines.</summary>
    MoreOutput,

    /// <summary>It closed its output (it exited, as a rule): it is not used again.</summary>
    Closed,
}

/// <summary>What the check after a worker's last answer found: nothing against its answers, or why they are in doubt
/// (they may belong to other lines: the worker is replaced and the lines go again, alone).</summary>
internal readonly record struct AfterAnswers(string? Doubt)
{
    public static readonly AfterAnswers Stand = new((string?)null);

    public bool InDoubt => Doubt is not null;
}

/// <summary>
/// One long-lived worker process of an <c>exec:</c> command, in a process group of its own: lines go to its stdin, one
/// answer per line comes back on its stdout, in order, with up to a run of lines in flight (pipelined). A framed
/// worker writes <see cref="FramedHello"/> before it is sent any line, then answers <c>+output</c> or <c>-reason</c>;
/// a plain one writes nothing but its answers, one line each. Anything else puts the worker out of step: it is
/// killed at once, and its answers are never paired on (<see cref="WorkerRunOutcome"/>). Its stderr goes to the log
/// (<see cref="WorkerStderr"/>).
/// </summary>
internal sealed class ExecWorker : IAsyncDisposable
{
    /// <summary>The first line a framed worker writes, before any line is sent to it; a NUL byte first, so that a
    /// plain program never writes it by accident.</summary>
    public static ReadOnlySpan<byte> FramedHello => "\0streaming-worker framed 1"u8;

    private const int ReadChunk = 64 * 1024;
    private const string NotFramed = "the command wrote an answer that is not framed ('+' or '-' first); a framed worker writes nothing else on stdout";
    private const string HelloAsAnswer = "the command wrote the framed hello as an answer, after it had been sent a line";
    public const string MoreAnswers = "the command wrote more answers than it was sent lines (a plain worker writes exactly one line per input line)";
    private static readonly TimeSpan s_exitWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_firstLook = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan s_startLook = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan s_lastLook = TimeSpan.FromMilliseconds(50);

    private readonly WorkerGroup _group;
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly WorkerStderr _stderr;
    private readonly ExecSettings _settings;
    private readonly ExecProtocol _protocol;
    private readonly ILogger _logger;
    private byte[] _read = ArrayPool<byte>.Shared.Rent(2 * ReadChunk);
    private int _readStart;
    private int _readEnd;
    private bool _greeted;
    private bool _framed;
    private bool _firstLineIsHello;
    private bool _discarding;
    private int _lineStart;
    private int _lineLength;
    private int _sent;
    private volatile bool _broken;

    private ExecWorker(Process process, WorkerGroup group, ExecSettings settings, ExecProtocol protocol, ILogger logger)
    {
        _process = process;
        _group = group;
        Id = process.Id;
        _settings = settings;
        _protocol = protocol;
        _logger = logger;
        _stdin = process.StandardInput.BaseStream;
        _stdout = process.StandardOutput.BaseStream;
        _stderr = WorkerStderr.Start(process.StandardError.BaseStream, logger, Id);
    }

    public int Id { get; }

    /// <summary>False once the worker died, was killed, or lost its place in the answers.</summary>
    public bool IsUsable => !_broken && !_process.HasExited;

    /// <summary>True once the worker answered a line: it is no longer fresh.</summary>
    public bool HasAnswered { get; private set; }

    /// <summary>True once the worker said hello; false for a plain worker, and before its first run.</summary>
    public bool Framed => _framed;

    public string? LastStderrLine => _stderr.LastLine;

    /// <summary>Starts a worker in a session of its own (so that its whole process group can be signalled), with an
    /// environment that cannot reach the broker. Throws <see cref="System.ComponentModel.Win32Exception"/> when the
    /// program cannot be started.</summary>
    public static ExecWorker Start(ExecCommand command, ExecSettings settings, ExecProtocol protocol, ILogger logger)
    {
        var reaper = WorkerReaper.Shared;
        var setsid = reaper is null ? null : WorkerReaper.SetsidPath;
        var info = new ProcessStartInfo(setsid ?? command.Program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (setsid is not null)
        {
            // setsid execs the program in place (the consumer's child is never a group leader): same pid, own group.
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(command.Program);
        }
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        ExecEnvironment.Scrub(info.Environment);
        var process = Process.Start(info) ?? throw new InvalidOperationException("the command did not start");
        var group = WorkerGroup.Of(process.Id);
        reaper?.Watch(group);
        ExecLog.Started(logger, process.Id, command.Text);
        return new ExecWorker(process, group, settings, protocol, logger);
    }

    /// <summary>Sends lines <paramref name="from"/> to <paramref name="from"/> + <paramref name="count"/> − 1 of the
    /// run and reports their answers. A line with no answer for <see cref="ExecSettings.LineTimeout"/> gets the
    /// worker killed.</summary>
    /// <exception cref="OperationCanceledException">The service is stopping; the worker is killed.</exception>
    public async Task<WorkerRunOutcome> RunAsync(WorkerRun run, int from, int count, CancellationToken cancellationToken)
    {
        _sent = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        WorkerRunOutcome outcome;
        try
        {
            if (!_greeted && await GreetAsync(run.Lines[from], cancellationToken) is { } greetingFault)
            {
                outcome = greetingFault;
            }
            else
            {
                await LearnHowItWaitsAsync(cancellationToken);
                timeout.CancelAfter(_settings.LineTimeout);
                using (timeout.Token.UnsafeRegister(static state => ((ExecWorker)state!).Kill(), this))
                {
                    outcome = await RunOnWorkerAsync(run, from, count, timeout);
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Kill();     // whichever way the cancellation came out, the worker does not outlive it
            throw;
        }
        if (outcome.Fault == WorkerFault.None)
        {
            return outcome;
        }
        if (timeout.IsCancellationRequested && outcome.Fault == WorkerFault.Exited)
        {
            outcome = outcome with { Fault = WorkerFault.TimedOut, Reason = TimedOut("on this line") };
        }
        Kill();     // the callback may not have run yet: the read's own cancellation can come first
        return outcome;
    }

    /// <summary>Before a fresh worker's first lines, while its command is not known to wait for input on its main
    /// thread: gives it up to <see cref="ExecProtocol.HelloPatience"/> to go asleep in a read of its input (it could not
    /// take a line earlier anyway), so that the check after its very first run already knows what "at work" means.</summary>
    private async Task LearnHowItWaitsAsync(CancellationToken cancellationToken)
    {
        if (HasAnswered || _protocol.WaitsForInputWhenIdle)
        {
            return;
        }
        var giveUpAt = Stopwatch.GetTimestamp() + (long)(ExecProtocol.HelloPatience.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < giveUpAt)
        {
            switch (WorkerActivityProbe.Of(_group))
            {
                case WorkerActivity.WaitingForInput:
                    _protocol.SawWaitingForInput();
                    return;
                case WorkerActivity.Unknown:
                    return;
            }
            await Task.Delay(s_startLook, cancellationToken);
        }
    }

    private string TimedOut(string what)
    {
        var hint = HasAnswered ? "" : "; it had answered no line at all: if it buffers its output when that is a pipe, make it flush after each line (python3 -u, stdbuf -oL)";
        return $"command took longer than {_settings.LineTimeout.TotalSeconds:0.###} s {what} (worker killed){hint}";
    }

    private async Task<WorkerRunOutcome> RunOnWorkerAsync(WorkerRun run, int from, int count, CancellationTokenSource timeout)
    {
        if (_readEnd > _readStart || _discarding)
        {
            return new WorkerRunOutcome(0, 0, WorkerFault.OutOfStep, "the command wrote output that answers no line");
        }
        // Its own task: a pipe write that blocks must not keep the answers from being read (or both sides wait).
        var writing = Task.Run(() => WriteLinesAsync(run.Lines, from, count, timeout.Token), CancellationToken.None);
        var outcome = await ReadAnswersAsync(run, from, count, timeout);
        if (outcome.Fault == WorkerFault.Exited && !timeout.IsCancellationRequested)
        {
            outcome = outcome with { Reason = await ExitReasonAsync() };     // kills it if it lives on
        }
        else if (outcome.Fault != WorkerFault.None)
        {
            Kill();     // a writer blocked on a worker that stopped reading ends with it
        }
        await writing;
        return outcome with { Sent = outcome.Fault == WorkerFault.None ? count : Volatile.Read(ref _sent) };
    }

    /// <summary>Before the first line: a framed worker's hello, which counts only now (a command not known yet gets
    /// <see cref="ExecProtocol.HelloPatience"/>, one known framed the line timeout). Null when the worker may be sent
    /// lines.</summary>
    private async Task<WorkerRunOutcome?> GreetAsync(ReadOnlyMemory<byte> firstLine, CancellationToken cancellationToken)
    {
        _greeted = true;
        _firstLineIsHello = firstLine.Span.SequenceEqual(FramedHello);
        var mode = _protocol.Mode;
        if (mode == WorkerProtocol.Plain)
        {
            return null;
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(mode == WorkerProtocol.Unknown ? ExecProtocol.HelloPatience : _settings.LineTimeout);
        var first = await ReadLineAsync(deadline.Token);
        cancellationToken.ThrowIfCancellationRequested();
        switch (first)
        {
            case LineRead.Line when _read.AsSpan(_lineStart, _lineLength).SequenceEqual(FramedHello):
                _framed = true;
                _protocol.Learn(WorkerProtocol.Framed);
                return null;
            case LineRead.Line:
                return new WorkerRunOutcome(0, 0, WorkerFault.OutOfStep, mode == WorkerProtocol.Framed
                    ? "the command did not write the framed hello first, as its other workers did"
                    : "the command wrote output before it was sent a line");
            case LineRead.Waited when mode == WorkerProtocol.Unknown:
                _protocol.Learn(WorkerProtocol.Plain);
                _greeted = _protocol.Mode == WorkerProtocol.Plain;
                return _greeted ? null : await GreetAsync(firstLine, cancellationToken);
            case LineRead.Waited:
                return new WorkerRunOutcome(0, 0, WorkerFault.TimedOut, TimedOut("to write the framed hello"));
            default:
                return new WorkerRunOutcome(0, 0, WorkerFault.Exited, await ExitReasonAsync());
        }
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

    private async Task<WorkerRunOutcome> ReadAnswersAsync(WorkerRun run, int from, int count, CancellationTokenSource timeout)
    {
        var answered = 0;
        while (true)
        {
            var before = answered;
            while (answered < count && TryTakeLine())
            {
                if (_discarding)
                {
                    _discarding = false;
                    Fail(run, from + answered++, $"the command's output line is longer than {_settings.MaxOutputLineBytes} bytes");
                    continue;
                }
                var line = _read.AsSpan(_lineStart, _lineLength);
                if (line.SequenceEqual(FramedHello))
                {
                    if (!HasAnswered && !_framed && !_firstLineIsHello && _protocol.HelloAfterPatience())
                    {
                        // A framed worker slower to start than the patience (a loaded machine): its hello came first,
                        // so the answers that follow are in step with the lines sent. Killing it would cost its lines
                        // a retry each, and on a machine that slow, the retry's wait for a hello could time out too.
                        _framed = true;
                        continue;
                    }
                    return new WorkerRunOutcome(answered, 0, WorkerFault.OutOfStep, HelloAsAnswer);
                }
                if (_framed && !IsFramed(line))
                {
                    return new WorkerRunOutcome(answered, 0, WorkerFault.OutOfStep, NotFramed);
                }
                Answer(run, from + answered++, line);
            }
            if (answered == count)
            {
                return _readEnd > _readStart || _discarding
                    ? new WorkerRunOutcome(answered, 0, WorkerFault.OutOfStep, MoreAnswers)
                    : WorkerRunOutcome.Complete(count);
            }
            if (answered > before)
            {
                timeout.CancelAfter(_settings.LineTimeout);
            }
            bool more;
            try
            {
                more = await ReadMoreAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                more = false;   // the line timeout, or the service stopping: the caller tells which
            }
            if (!more)
            {
                return new WorkerRunOutcome(answered, 0, WorkerFault.Exited, null);    // it died or was killed
            }
        }
    }

    /// <summary>
    /// After a run's last answer, whether the worker stayed in step. It must write nothing more within
    /// <paramref name="wait"/>, and on while <c>/proc</c> shows it still at work (<see cref="WorkerActivityProbe"/>),
    /// up to the line timeout: a worker in step goes back to reading its input once it has answered, and one still at
    /// work has a line left to answer, however long a loaded machine or a slow line keeps that answer from coming. A
    /// worker that exits with a failure right after its last answer may have died on a line it was not counted for.
    /// </summary>
    /// <exception cref="OperationCanceledException">The service is stopping.</exception>
    public async Task<AfterAnswers> CheckQuietAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var giveUpAt = Stopwatch.GetTimestamp() + (long)(_settings.LineTimeout.TotalSeconds * Stopwatch.Frequency);
        var look = s_firstLook;
        var heard = await ListenAsync(wait, cancellationToken);
        while (heard == WorkerQuiet.Quiet)
        {
            var activity = WorkerActivityProbe.Of(_group);
            if (activity == WorkerActivity.WaitingForInput)
            {
                _protocol.SawWaitingForInput();
                // What it wrote before it went back to its input is in the pipe by now.
                heard = PipeBacklog.Of(_stdout) switch
                {
                    null => await ListenAsync(s_firstLook, cancellationToken),
                    > 0 => WorkerQuiet.MoreOutput,
                    _ => WorkerQuiet.Quiet,
                };
                break;
            }
            var atWork = activity == WorkerActivity.Running
                || (activity == WorkerActivity.WaitingElsewhere && _protocol.WaitsForInputWhenIdle);
            if (!atWork)
            {
                break;      // /proc cannot tell: the wait alone decides
            }
            if (Stopwatch.GetTimestamp() >= giveUpAt)
            {
                return _protocol.WaitsForInputWhenIdle
                    ? new AfterAnswers($"the command was still at work {_settings.LineTimeout.TotalSeconds:0.###} s after what should have been its last answer, instead of reading its next line")
                    : AfterAnswers.Stand;
            }
            heard = await ListenAsync(look, cancellationToken);
            look = TimeSpan.FromTicks(Math.Min(2 * look.Ticks, s_lastLook.Ticks));
        }
        if (heard == WorkerQuiet.MoreOutput)
        {
            return new AfterAnswers(MoreAnswers);
        }
        if (heard == WorkerQuiet.Closed)
        {
            var reason = await ExitReasonAsync();
            return _process is { HasExited: true, ExitCode: 0 } ? AfterAnswers.Stand : new AfterAnswers($"{reason}, right after its last answer");
        }
        return AfterAnswers.Stand;
    }

    /// <summary>Waits up to <paramref name="wait"/> for output from the worker.</summary>
    private async Task<WorkerQuiet> ListenAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_readEnd > _readStart || _discarding)
        {
            return WorkerQuiet.MoreOutput;
        }
        if (!IsUsable)
        {
            return WorkerQuiet.Closed;
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(wait);
        bool more;
        try
        {
            more = await ReadMoreAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return WorkerQuiet.Quiet;
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (!more)
        {
            _broken = true;
            return WorkerQuiet.Closed;
        }
        return WorkerQuiet.MoreOutput;
    }

    private enum LineRead
    {
        Line,
        Waited,
        Closed,
    }

    private async Task<LineRead> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (!TryTakeLine())
        {
            try
            {
                if (!await ReadMoreAsync(cancellationToken))
                {
                    return LineRead.Closed;
                }
            }
            catch (OperationCanceledException)
            {
                return LineRead.Waited;
            }
        }
        return LineRead.Line;
    }

    /// <summary>Reads what the worker wrote next into the buffer; false when it closed its output.</summary>
    /// <exception cref="OperationCanceledException">Nothing came before <paramref name="cancellationToken"/>.</exception>
    private async Task<bool> ReadMoreAsync(CancellationToken cancellationToken)
    {
        MakeRoomToRead();
        int read;
        try
        {
            read = await _stdout.ReadAsync(_read.AsMemory(_readEnd), cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            read = 0;
        }
        _readEnd += read;
        return read > 0;
    }

    private static bool IsFramed(ReadOnlySpan<byte> line) => line.Length > 0 && line[0] is (byte)'+' or (byte)'-';

    private bool TryTakeLine()
    {
        _lineStart = _readStart;
        _lineLength = _read.AsSpan(_readStart, _readEnd - _readStart).IndexOf((byte)'\n');
        if (_lineLength < 0)
        {
            return false;
        }
        _readStart += _lineLength + 1;
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
        HasAnswered = true;
        if (!_framed)
        {
            _protocol.PlainAnswered();
            run.Results.Succeeded(run.Indexes[position], line);
        }
        else if (line[0] == (byte)'+')
        {
            run.Results.Succeeded(run.Indexes[position], line[1..]);
        }
        else
        {
            var reason = Encoding.UTF8.GetString(line[1..]).Trim();
            Fail(run, position, reason.Length == 0 ? "the command failed the line" : reason);
        }
    }

    private static void Fail(WorkerRun run, int position, string reason) => run.Results.Failed(run.Indexes[position], reason);

    /// <summary>Why a worker that closed its output is gone: its exit code, or, when it lived on and was killed
    /// here, that it closed its output.</summary>
    private async Task<string> ExitReasonAsync()
    {
        if (await WaitForExitAsync(s_exitWait))
        {
            return $"command exited with code {_process.ExitCode}";
        }
        Kill();
        await WaitForExitAsync(s_exitWait);
        return "command closed its output but did not exit (worker killed)";
    }

    /// <summary>The worker's exit code once it has exited; killed first when it closed its output but lives on.</summary>
    public async Task<int> ExitCodeAsync()
    {
        if (!await WaitForExitAsync(s_exitWait))
        {
            Kill();
            await WaitForExitAsync(s_exitWait);
        }
        return _process.HasExited ? _process.ExitCode : -1;
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
        _group.Kill();     // its children too: a timeout of 'sh -c …' must not leave the real work running
        try
        {
            _process.Kill();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>Stops the worker: end of input and SIGTERM to its group, SIGKILL after
    /// <see cref="ExecSettings.StopGrace"/>.</summary>
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
            _group.Terminate();
            if (!await WaitForExitAsync(_settings.StopGrace))
            {
                ExecLog.KilledAfterGrace(_logger, Id, _settings.StopGrace.TotalSeconds);
                Kill();
                await WaitForExitAsync(s_exitWait);
            }
        }
        _group.Kill();     // what the worker left behind in its group
        WorkerReaper.Shared?.Forget(_group);
        await StderrDrainedAsync();
        _process.Dispose();
        ArrayPool<byte>.Shared.Return(_read);
        _read = [];
    }
}
