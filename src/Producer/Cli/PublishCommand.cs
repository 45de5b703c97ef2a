using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Hosting;
using Streaming.Messaging.Resilience;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job;
using Streaming.Producer.Job.Cancelling;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Stdin;

namespace Streaming.Producer.Cli;

/// <summary><c>publish &lt;file&gt;... --wait</c>: runs every file's job and turns the outcome into an exit code.</summary>
internal sealed class PublishCommand(
    BrokerConnector connector,
    IOptions<ProducerOptions> options,
    IOptions<RabbitMqOptions> brokerOptions,
    TimeProvider time,
    ILoggerFactory loggers)
{
    public const int ExitOk = 0;
    public const int ExitLinesFailed = 1;
    public const int ExitBrokerUnreachable = 3;
    private const int ErrorsShown = 10;

    /// <summary>How long cancelling waits for the broker to take each announcement.</summary>
    private static readonly TimeSpan s_cancelTimeout = TimeSpan.FromSeconds(10);

    private readonly ProducerOptions _options = options.Value;
    private readonly ILogger _logger = loggers.CreateLogger("Streaming.Producer");

    /// <summary>Runs every file's job until done or stopped by <paramref name="cancellationToken"/> (then throws
    /// <see cref="OperationCanceledException"/>, the checkpoints kept).</summary>
    public Task<int> RunAsync(IReadOnlyList<JobFiles> files, CancellationToken cancellationToken) =>
        RunAsync(files, static () => Task.FromResult(false), cancellationToken);

    /// <summary>As the other overload, stopped by <see cref="PublishInterrupts.Stop"/>; when the interrupts say the
    /// jobs are cancelled instead, they are, and nothing of them is left.</summary>
    public Task<int> RunAsync(IReadOnlyList<JobFiles> files, PublishInterrupts interrupts) =>
        RunAsync(files, interrupts.CancelledAsync, interrupts.Stop);

    private async Task<int> RunAsync(IReadOnlyList<JobFiles> files, Func<Task<bool>> cancelJobs, CancellationToken cancellationToken)
    {
        // One owner per output, settled before anything is read, written or published.
        var locks = new List<OwnerLock>(files.Count);
        try
        {
            foreach (var job in files)
            {
                if (await TryLockAsync(job) is not { } held)
                {
                    return UsageErrors.ExitCode;
                }
                locks.Add(held);
            }
            return await RunInSessionAsync(
                session => files.Select(f => PlannedJob.Of(session.CreateJob(f))).ToList(), Report, cancelJobs, cancellationToken);
        }
        finally
        {
            locks.ForEach(l => l.Dispose());
        }
    }

    /// <summary>The lock on <paramref name="job"/>'s outputs, or null once the one line saying why not is written.</summary>
    internal static async Task<OwnerLock?> TryLockAsync(JobFiles job)
    {
        string message;
        try
        {
            Directory.CreateDirectory(job.OutputDirectory);
            if (OwnerLock.TryAcquire(job.Lock, out var holder) is { } held)
            {
                return held;
            }
            message = $"'{job.Output}' is being written by {OwnerLock.Holder(holder)} (it holds '{job.Lock}'); wait for it or stop it";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            message = $"cannot write to '{job.OutputDirectory}': {ex.Message}";
        }
        await WriteErrorAsync($"{message}");
        return null;
    }

    /// <summary>Opens the broker session, runs the jobs <paramref name="plan"/> makes on it, and reports each result; returns
    /// the exit code (<c>publish</c>'s and <c>redrive</c>'s).</summary>
    /// <param name="cancelJobs">Asked once the jobs are stopped: true when they are cancelled instead (interrupted
    /// twice), and then nothing of them is left.</param>
    internal async Task<int> RunInSessionAsync(
        Func<ProducerSession, List<PlannedJob>> plan, Action<JobResult> report, Func<Task<bool>> cancelJobs,
        CancellationToken cancellationToken)
    {
        var (session, exit) = await OpenSessionAsync(resultsQueueExpiry: null, cancellationToken);
        if (session is null)
        {
            return exit;
        }
        await using (session)
        {
            var jobs = plan(session);
            try
            {
                return await RunJobsAsync(jobs, session, report, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (!await cancelJobs())
                {
                    throw;
                }
                await CancelAsync([.. jobs.Select(j => j.Runner)], session);
                return ProducerApp.ExitInterrupted;
            }
        }
    }

    /// <summary><c>publish - --wait</c>: standard input's results on standard output, the summary on standard error.
    /// A run that stops before the end cannot be resumed: it says so and exits non-zero.</summary>
    public async Task<int> RunStdinAsync(StdinRequest request, CancellationToken cancellationToken)
    {
        var (errors, opened) = await OpenErrorsAsync(request.ErrorsPath);
        if (!opened)
        {
            return UsageErrors.ExitCode;
        }
        await using (errors)
        {
            var (session, exit) = await OpenSessionAsync(TimeSpan.FromSeconds(_options.StdinResultsQueueExpirySeconds), cancellationToken);
            if (session is null)
            {
                return exit;
            }
            await using (session)
            {
                await using var stdout = Console.OpenStandardOutput();
                await using var stderr = Console.OpenStandardError();
                var listed = errors ?? (request.Format == StdoutFormat.Plain ? stderr : null);
                await using var sink = new StdoutSink(stdout, request.Format, listed);
                var job = new StdinJob(session);
                using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var progress = new ProgressDisplay([job.Progress], session.Connection, session.Pipeline, TimeSpan.FromSeconds(_options.ProgressIntervalSeconds), time)
                    .RunAsync(stopProgress.Token);
                JobSummary summary;
                try
                {
                    await session.StartAsync(cancellationToken);
                    var (input, _) = await ReplayedHead.OpenAsync(Console.OpenStandardInput(), cancellationToken);
                    await using (input)
                    {
                        summary = await job.RunAsync(input, sink, cancellationToken);
                    }
                }
                catch (Exception ex) when (FaultClassifier.IsBrokerFailure(ex, cancellationToken) || ex is not OperationCanceledException)
                {
                    await StopAsync(stopProgress, progress);
                    var (code, message) = StdinFailure(ex, cancellationToken);
                    await WriteErrorAsync(message);
                    return code;
                }
                finally
                {
                    await StopAsync(stopProgress, progress);
                }
                ReportStdin(summary, request.ErrorsPath, Console.Error);
                return summary.FailedLines > 0 ? ExitLinesFailed : ExitOk;
            }
        }
    }

    /// <summary>The <c>--errors</c> file, created (null when none is asked for); not opened when it cannot be, with its one
    /// line written.</summary>
    private static async Task<(Stream? Errors, bool Opened)> OpenErrorsAsync(string? path)
    {
        if (path is null)
        {
            return (null, true);
        }
        try
        {
            return (new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0), true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await WriteErrorAsync($"cannot write to --errors '{path}': {ex.Message}");
            return (null, false);
        }
    }

    /// <summary>Stops the progress display: its line goes before anything else is written.</summary>
    private static async Task StopAsync(CancellationTokenSource stopProgress, Task progress)
    {
        await stopProgress.CancelAsync();
        await progress;
    }

    /// <summary>The session, or null and the exit code with its one line written.</summary>
    private async Task<(ProducerSession? Session, int Exit)> OpenSessionAsync(TimeSpan? resultsQueueExpiry, CancellationToken cancellationToken)
    {
        try
        {
            var session = await ProducerSession.OpenAsync(
                connector,
                new ProducerSessionSettings(
                    $"streaming-producer {Environment.MachineName}/{Environment.ProcessId}", PipelineQueues.For(_options.Pipeline),
                    RetryForever: false, _options,
                    _options.ParallelFiles, TimeSpan.FromSeconds(brokerOptions.Value.PublishTimeoutSeconds),
                    ResultsQueueExpiry: resultsQueueExpiry),
                time, _logger, cancellationToken);
            return (session, ExitOk);
        }
        catch (BrokerUnreachableAfterRetriesException ex)
        {
            await WriteErrorAsync($"{ex.Message}");
            return (null, ExitBrokerUnreachable);
        }
        catch (Exception ex) when (ex is BrokerRefusedException or TopologyMismatchException)
        {
            await WriteErrorAsync($"{ex.Message}");
            return (null, UsageErrors.ExitCode);
        }
    }

    /// <summary>Interrupted twice: every job is cancelled (the consumers skip its queued batches) and its unfinished
    /// outputs and checkpoint are removed; nothing is left to resume. Its results queue goes with the session.</summary>
    private async Task CancelAsync(List<JobRunner> jobs, ProducerSession session)
    {
        using var timeout = new CancellationTokenSource(s_cancelTimeout);
        foreach (var job in jobs)
        {
            if (job.JobId is { } jobId)
            {
                try
                {
                    await session.CancelJobAsync(jobId, timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    // The broker is not answering: the consumers skip the batches once the results queue is gone.
                }
            }
            try
            {
                job.Files.RemoveUnfinished();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await WriteErrorAsync($"cancelled {job.Files.Name}, but could not remove all of its unfinished outputs: {ex.Message}");
                continue;
            }
            CancelLog.Cancelled(_logger, job.JobId ?? Guid.Empty, job.Files.Name);
        }
        await WriteErrorAsync(
            $"interrupted twice: cancelled; the unfinished outputs and checkpoints of {string.Join(", ", jobs.Select(j => j.Files.Name))} are removed");
    }

    private async Task<int> RunJobsAsync(
        List<PlannedJob> jobs, ProducerSession session, Action<JobResult> report, CancellationToken cancellationToken)
    {
        using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var display = new ProgressDisplay([.. jobs.Select(j => (Func<JobProgress>)j.Runner.Progress)], session.Connection, session.Pipeline, TimeSpan.FromSeconds(_options.ProgressIntervalSeconds), time);
        var progress = display.RunAsync(stopProgress.Token);
        JobResult[] done;
        (int Exit, string Message)? failure = null;
        try
        {
            await session.StartAsync(cancellationToken);
            done = await RunAllAsync(jobs, cancellationToken);
        }
        catch (Exception ex) when (FaultClassifier.IsBrokerFailure(ex, cancellationToken) || ex is not OperationCanceledException)
        {
            done = [];
            failure = Failure(ex, cancellationToken);
        }
        finally
        {
            // The progress line goes before anything else is written.
            await stopProgress.CancelAsync();
            await progress;
        }
        if (failure is { } stopped)
        {
            await WriteErrorAsync(stopped.Message);
            return stopped.Exit;
        }
        foreach (var result in done)
        {
            report(result);
        }
        return done.Any(r => r.Summary.FailedLines > 0) ? ExitLinesFailed : ExitOk;
    }

    /// <summary>Runs every job, at most <see cref="ProducerOptions.ParallelFiles"/> at once.</summary>
    private async Task<JobResult[]> RunAllAsync(List<PlannedJob> jobs, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(_options.ParallelFiles);
        return await Task.WhenAll(jobs.Select(async job =>
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                return await job.RunAsync(cancellationToken);
            }
            finally
            {
                slots.Release();
            }
        }));
    }

    /// <summary>The exit code and the one line for a run that stopped on <paramref name="ex"/>.</summary>
    internal static (int Exit, string Message) Failure(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        _ when FaultClassifier.IsBrokerFailure(ex, cancellationToken) => (ExitBrokerUnreachable,
            $"lost the broker and could not get it back ({UriMasking.Mask(ex.Message)}); run the same command again to resume"),
        InputChangedException => (UsageErrors.ExitCode, ex.Message),
        // Running it again meets the same damage: the output stays partial, never presented as complete.
        InputDamagedException => (ExitLinesFailed, $"{ex.Message}: no output can be complete; repair or replace the input, then run again"),
        OutputMismatchException => (ExitLinesFailed,
            $"{ex.Message}; another process wrote to it, or the disk lost bytes: delete the output and its checkpoint, then run again"),
        // A job that cannot go on (an unwritable output folder, a vanished input) keeps its checkpoint.
        _ => (ExitLinesFailed, $"{UriMasking.Mask(ex.Message)}; run the same command again to resume"),
    };

    /// <summary>The exit code and the one line for a standard input run that stopped on <paramref name="ex"/>: nothing
    /// can resume it.</summary>
    private static (int Exit, string Message) StdinFailure(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        _ when FaultClassifier.IsBrokerFailure(ex, cancellationToken) => (ExitBrokerUnreachable,
            $"lost the broker and could not get it back ({UriMasking.Mask(ex.Message)}); {StdinLost}"),
        _ => (ExitLinesFailed, $"{UriMasking.Mask(ex.Message)}; {StdinLost}"),
    };

    /// <summary>What a standard input run that stops before its end says.</summary>
    internal const string StdinLost = "standard input cannot be read again: the stream is lost and its output incomplete";

    /// <summary>One line on stderr, whatever a path or a message brought in (a newline in an --out folder's name).</summary>
    internal static Task WriteErrorAsync(string message) => Console.Error.WriteLineAsync($"Producer: {UsageErrors.Printable(message)}");

    private static void Report(JobResult result) => Report(result, Console.Out);

    /// <summary>Standard input's summary (on standard error: standard output holds the results only).</summary>
    internal static void ReportStdin(JobSummary s, string? errorsPath, TextWriter output)
    {
        var listed = s.FailedLines > 0 && errorsPath is not null ? $" (listed in {UsageErrors.Printable(errorsPath)})" : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{StdinJob.Name}: {s.Lines:N0} lines in {s.DurationMs / 1000.0:0.0} s ({s.LinesPerSecond:N0} lines/s), {s.FailedLines:N0} failed{listed}"));
    }

    /// <summary>The summary of one file; its names and the reasons (a worker's or the broker's words) printable.</summary>
    internal static void Report(JobResult result, TextWriter output)
    {
        var s = result.Summary;
        var file = UsageErrors.Printable(s.File);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{file}: {s.Lines:N0} lines in {s.DurationMs / 1000.0:0.0} s ({s.LinesPerSecond:N0} lines/s), {s.FailedLines:N0} failed -> {UsageErrors.Printable(result.Files.Output)}"));
        ReportErrors(result, output);
    }

    /// <summary>The first failed lines of <paramref name="result"/>, when any failed.</summary>
    internal static void ReportErrors(JobResult result, TextWriter output)
    {
        var s = result.Summary;
        var file = UsageErrors.Printable(s.File);
        if (s.FailedLines == 0)
        {
            return;
        }
        output.WriteLine($"{file}: failed lines are listed in {UsageErrors.Printable(result.Files.Errors)}:");
        foreach (var line in File.ReadLines(result.Files.Errors).Take(ErrorsShown))
        {
            var error = JsonSerializer.Deserialize(line, ProducerJsonContext.Default.LineError);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  line {error!.Line}: {UsageErrors.Printable(error.Error)}"));
        }
        if (s.FailedLines > ErrorsShown)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  … and {s.FailedLines - ErrorsShown:N0} more"));
        }
    }
}
