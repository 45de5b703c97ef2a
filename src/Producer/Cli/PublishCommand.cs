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
            return await RunLockedAsync(files, cancelJobs, cancellationToken);
        }
        finally
        {
            locks.ForEach(l => l.Dispose());
        }
    }

    private static async Task<OwnerLock?> TryLockAsync(JobFiles job)
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

    private async Task<int> RunLockedAsync(IReadOnlyList<JobFiles> files, Func<Task<bool>> cancelJobs, CancellationToken cancellationToken)
    {
        ProducerSession session;
        try
        {
            session = await ProducerSession.OpenAsync(
                connector,
                new ProducerSessionSettings(
                    $"streaming-producer {Environment.MachineName}/{Environment.ProcessId}", RetryForever: false, _options,
                    _options.ParallelFiles, TimeSpan.FromSeconds(brokerOptions.Value.PublishTimeoutSeconds)),
                time, _logger, cancellationToken);
        }
        catch (BrokerUnreachableAfterRetriesException ex)
        {
            await WriteErrorAsync($"{ex.Message}");
            return ExitBrokerUnreachable;
        }
        catch (Exception ex) when (ex is BrokerRefusedException or TopologyMismatchException)
        {
            await WriteErrorAsync($"{ex.Message}");
            return UsageErrors.ExitCode;
        }
        await using (session)
        {
            var jobs = files.Select(session.CreateJob).ToList();
            try
            {
                return await RunJobsAsync(jobs, session, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (!await cancelJobs())
                {
                    throw;
                }
                await CancelAsync(jobs, session);
                return ProducerApp.ExitInterrupted;
            }
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
                UnfinishedOutputs.Remove(job.Files);
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

    private async Task<int> RunJobsAsync(List<JobRunner> jobs, ProducerSession session, CancellationToken cancellationToken)
    {
        using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var display = new ProgressDisplay(jobs, session.Connection, TimeSpan.FromSeconds(_options.ProgressIntervalSeconds), time);
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
            Report(result);
        }
        return done.Any(r => r.Summary.FailedLines > 0) ? ExitLinesFailed : ExitOk;
    }

    /// <summary>Runs every job, at most <see cref="ProducerOptions.ParallelFiles"/> at once.</summary>
    private async Task<JobResult[]> RunAllAsync(List<JobRunner> jobs, CancellationToken cancellationToken)
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
    private static (int Exit, string Message) Failure(Exception ex, CancellationToken cancellationToken) => ex switch
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

    /// <summary>One line on stderr, whatever a path or a message brought in (a newline in an --out folder's name).</summary>
    private static Task WriteErrorAsync(string message) => Console.Error.WriteLineAsync($"Producer: {UsageErrors.Printable(message)}");

    private static void Report(JobResult result) => Report(result, Console.Out);

    /// <summary>The summary of one file; its names and the reasons (a worker's or the broker's words) printable.</summary>
    internal static void Report(JobResult result, TextWriter output)
    {
        var s = result.Summary;
        var file = UsageErrors.Printable(s.File);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{file}: {s.Lines:N0} lines in {s.DurationMs / 1000.0:0.0} s ({s.LinesPerSecond:N0} lines/s), {s.FailedLines:N0} failed -> {UsageErrors.Printable(result.Files.Output)}"));
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
