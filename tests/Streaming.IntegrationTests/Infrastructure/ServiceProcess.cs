using System.Diagnostics;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// A real child process: one of our services (<c>dotnet Producer.dll …</c>) or any executable. Stdin is closed at
/// once; stdout and stderr are captured into bounded buffers (the last ~200 KB of each) that tests can wait on.
/// Disposing kills the process (and its children) if it is still running.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    /// <summary>Characters of each stream kept for assertions and error messages.</summary>
    public const int RetainedChars = 200 * 1024;

    private const int DescribedChars = 4000;
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_killTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly OutputTail _stdout = new(RetainedChars);
    private readonly OutputTail _stderr = new(RetainedChars);
    private readonly List<OutputWaiter> _waiters = [];
    private readonly Task _pumps;
    private int _openStreams = 2;
    private bool _disposed;

    private ServiceProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        Id = process.Id;
        process.StandardInput.Close();
        _pumps = Task.WhenAll(
            Task.Run(() => PumpAsync(process.StandardOutput, _stdout)),
            Task.Run(() => PumpAsync(process.StandardError, _stderr)));
    }

    /// <summary>A short name for messages: the service or executable name.</summary>
    public string Name { get; }

    public int Id { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code; only valid once <see cref="HasExited"/> (128 + n after signal n).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>What the process wrote to stdout (the last <see cref="RetainedChars"/> characters).</summary>
    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>What the process wrote to stderr (the last <see cref="RetainedChars"/> characters).</summary>
    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <c>dotnet Producer.dll &lt;arguments&gt;</c>.</summary>
    public static ServiceProcess StartProducer(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null) =>
        StartService(ServiceBinaries.Producer, arguments, environment, workingDirectory);

    /// <summary>Starts <c>dotnet Consumer.dll &lt;arguments&gt;</c>.</summary>
    public static ServiceProcess StartConsumer(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null) =>
        StartService(ServiceBinaries.Consumer, arguments, environment, workingDirectory);

    /// <summary>
    /// Starts <c>dotnet &lt;assemblyName&gt;.dll &lt;arguments&gt;</c>, located by <see cref="ServiceBinaries.Locate"/>
    /// (or the Native AOT executable, <see cref="ServiceBinaries.LocateNative"/>).
    /// The working directory defaults to the assembly's folder, so the service finds its appsettings.json.
    /// </summary>
    public static ServiceProcess StartService(
        string assemblyName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        if (ServiceBinaries.LocateNative(assemblyName) is { } native)
        {
            return Start(native, arguments, environment, workingDirectory ?? Path.GetDirectoryName(native), assemblyName);
        }
        var dll = ServiceBinaries.Locate(assemblyName);
        return Start(ServiceBinaries.DotnetHost, [dll, .. arguments], environment,
            workingDirectory ?? Path.GetDirectoryName(dll), assemblyName);
    }

    /// <summary>
    /// Starts any executable. <paramref name="environment"/> is applied over this process's environment;
    /// a null value removes a variable.
    /// </summary>
    public static ServiceProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        string? name = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(key);
            }
            else
            {
                startInfo.Environment[key] = value;
            }
        }
        var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"could not start {fileName}");
        return new ServiceProcess(process, name ?? Path.GetFileName(fileName));
    }

    /// <summary>
    /// Waits for the process to exit and returns its exit code. On timeout, kills it (and its children) and
    /// throws <see cref="TimeoutException"/> with what it wrote to stderr; with <paramref name="terminateGrace"/>, it
    /// first sends SIGTERM and waits that long, for a process that must clean up what is not its child (a broker node).
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, TimeSpan? terminateGrace = null)
    {
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                if (terminateGrace is { } grace)
                {
                    Terminate();
                    using var graceTimeout = new CancellationTokenSource(grace);
                    try
                    {
                        await _process.WaitForExitAsync(graceTimeout.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // Still running: killed below.
                    }
                }
                Kill();
                await WaitForKillAsync();
                await DrainAsync();
                throw new TimeoutException(
                    $"{Name} (pid {Id}) did not exit within {timeout.TotalSeconds:0.###} s and was killed.{Environment.NewLine}{Describe()}");
            }
        }
        await DrainAsync();
        return _process.ExitCode;
    }

    /// <summary>
    /// Waits until <paramref name="substring"/> has appeared on stdout or stderr (output written before the call
    /// counts). Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>, and
    /// <see cref="InvalidOperationException"/> as soon as the process closes its output without writing it.
    /// </summary>
    public async Task WaitForOutputAsync(string substring, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(substring);
        OutputWaiter waiter;
        lock (_gate)
        {
            if (_stdout.Contains(substring) || _stderr.Contains(substring))
            {
                return;
            }
            if (_openStreams == 0)
            {
                throw ClosedWithout(substring);
            }
            waiter = new OutputWaiter(substring);
            _waiters.Add(waiter);
        }
        try
        {
            await waiter.Found.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
            throw new TimeoutException(
                $"{Name} (pid {Id}) did not write '{substring}' within {timeout.TotalSeconds:0.###} s.{Environment.NewLine}{Describe()}");
        }
    }

    /// <summary>Sends SIGTERM (a graceful stop request) to the process itself.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            PosixSignals.Send(Id, PosixSignals.Terminate);
        }
    }

    /// <summary>Sends SIGINT (Ctrl-C) to the process itself.</summary>
    public void Interrupt()
    {
        if (!_process.HasExited)
        {
            PosixSignals.Send(Id, PosixSignals.Interrupt);
        }
    }

    /// <summary>SIGKILL to the process and all its descendants; nothing happens if it has already exited.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>SIGKILL to the process alone, as a crash or the OOM killer would: what it started is left to whatever
    /// the process arranged for it.</summary>
    public void KillAlone()
    {
        if (!_process.HasExited)
        {
            PosixSignals.Send(Id, PosixSignals.Kill);
        }
    }

    /// <summary>Exit state plus the tails of stderr and stdout, for assertion and exception messages.</summary>
    public string Describe()
    {
        var state = _process.HasExited ? $"exit code {_process.ExitCode}" : "still running";
        lock (_gate)
        {
            return $"{Name} (pid {Id}, {state})" + Environment.NewLine +
                $"--- stderr (last {DescribedChars} chars) ---{Environment.NewLine}{_stderr.Last(DescribedChars)}{Environment.NewLine}" +
                $"--- stdout (last {DescribedChars} chars) ---{Environment.NewLine}{_stdout.Last(DescribedChars)}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
            Kill();
            await WaitForKillAsync();
        }
        await DrainAsync();
        _process.Dispose();
    }

    private async Task WaitForKillAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(s_killTimeout);
        }
        catch (TimeoutException)
        {
            // SIGKILL cannot be refused; the caller reports the state it sees.
        }
    }

    /// <summary>Lets the pumps copy the last output; bounded, because a surviving grandchild may hold the pipes open.</summary>
    private async Task DrainAsync()
    {
        try
        {
            await _pumps.WaitAsync(s_drainTimeout);
        }
        catch (TimeoutException)
        {
            // Output after this point is not captured.
        }
    }

    private async Task PumpAsync(StreamReader reader, OutputTail tail)
    {
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory())) > 0)
            {
                lock (_gate)
                {
                    tail.Append(buffer.AsSpan(0, read));
                    for (var i = _waiters.Count - 1; i >= 0; i--)
                    {
                        var waiter = _waiters[i];
                        if (tail.ContainsInLast(waiter.Substring, read + waiter.Substring.Length - 1))
                        {
                            _waiters.RemoveAt(i);
                            waiter.Found.TrySetResult();
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The process is gone or being disposed.
        }
        finally
        {
            lock (_gate)
            {
                if (--_openStreams == 0)
                {
                    foreach (var waiter in _waiters)
                    {
                        waiter.Found.TrySetException(ClosedWithout(waiter.Substring));
                    }
                    _waiters.Clear();
                }
            }
        }
    }

    private InvalidOperationException ClosedWithout(string substring) =>
        new($"{Name} (pid {Id}) closed its output without writing '{substring}'.{Environment.NewLine}{Describe()}");

    private sealed class OutputWaiter(string substring)
    {
        public string Substring { get; } = substring;

        public TaskCompletionSource Found { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
