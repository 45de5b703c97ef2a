using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Hosting;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Resilience;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Results;

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

    private readonly ProducerOptions _options = options.Value;
    private readonly ILogger _logger = loggers.CreateLogger("Streaming.Producer");

    public async Task<int> RunAsync(IReadOnlyList<JobFiles> files, CancellationToken cancellationToken)
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
            return await RunLockedAsync(files, cancellationToken);
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

    private async Task<int> RunLockedAsync(IReadOnlyList<JobFiles> files, CancellationToken cancellationToken)
    {
        IConnection connection;
        try
        {
            connection = await connector.ConnectAsync(
                $"streaming-producer {Environment.MachineName}/{Environment.ProcessId}", retryForever: false, cancellationToken);
        }
        catch (BrokerUnreachableAfterRetriesException ex)
        {
            await WriteErrorAsync($"{ex.Message}");
            return ExitBrokerUnreachable;
        }
        catch (BrokerRefusedException ex)
        {
            await WriteErrorAsync($"{ex.Message}");
            return UsageErrors.ExitCode;
        }
        await using (connection)
        {
            try
            {
                await using var setup = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                await StreamingTopology.DeclareWorkQueuesAsync(setup, cancellationToken);
            }
            catch (TopologyMismatchException ex)
            {
                await WriteErrorAsync($"{ex.Message}");
                return UsageErrors.ExitCode;
            }
            await using var backlog = QueueBacklogMonitor.Start(connection);
            await using var publisher = await ConfirmingPublisher.CreateAsync(
                connection, (_options.PublishesInFlight * _options.ParallelFiles) + 8,
                TimeSpan.FromSeconds(brokerOptions.Value.PublishTimeoutSeconds), cancellationToken);
            await using var results = new ResultsInbox(connection, publisher, time, _logger);
            var jobs = files.Select(f => new JobRunner(f, _options, connection, publisher, results, time, _logger)).ToList();
            return await RunJobsAsync(jobs, results, connection, cancellationToken);
        }
    }

    private async Task<int> RunJobsAsync(
        List<JobRunner> jobs, ResultsInbox results, IConnection connection, CancellationToken cancellationToken)
    {
        using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var display = new ProgressDisplay(jobs, connection, TimeSpan.FromSeconds(_options.ProgressIntervalSeconds), time);
        var progress = display.RunAsync(stopProgress.Token);
        using var slots = new SemaphoreSlim(_options.ParallelFiles);
        List<Task<JobResult>> runs = [];
        try
        {
            await results.StartAsync(cancellationToken);
            runs = jobs.Select(async job =>
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
            }).ToList();
            await Task.WhenAll(runs);
        }
        catch (Exception ex) when (IsBrokerFailure(ex, cancellationToken))
        {
            await stopProgress.CancelAsync();
            await progress;
            await WriteErrorAsync(
                $"lost the broker and could not get it back ({UriMasking.Mask(ex.Message)}); run the same command again to resume");
            return ExitBrokerUnreachable;
        }
        catch (InputChangedException ex)
        {
            await stopProgress.CancelAsync();
            await progress;
            await WriteErrorAsync($"{ex.Message}");
            return UsageErrors.ExitCode;
        }
        catch (InputDamagedException ex)
        {
            // Running it again meets the same damage: the output stays partial, never presented as complete.
            await stopProgress.CancelAsync();
            await progress;
            await WriteErrorAsync($"{ex.Message}: no output can be complete; repair or replace the input, then run again");
            return ExitLinesFailed;
        }
        catch (OutputMismatchException ex)
        {
            await stopProgress.CancelAsync();
            await progress;
            await WriteErrorAsync(
                $"{ex.Message}; another process wrote to it, or the disk lost bytes: delete the output and its checkpoint, then run again");
            return ExitLinesFailed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A job that cannot go on (an unwritable output folder, a vanished input) keeps its checkpoint.
            await stopProgress.CancelAsync();
            await progress;
            await WriteErrorAsync($"{UriMasking.Mask(ex.Message)}; run the same command again to resume");
            return ExitLinesFailed;
        }
        finally
        {
            await stopProgress.CancelAsync();
            await progress;
        }
        var done = runs.Select(r => r.Result).ToList();
        foreach (var result in done)
        {
            Report(result);
        }
        return done.Any(r => r.Summary.FailedLines > 0) ? ExitLinesFailed : ExitOk;
    }

    /// <summary>The broker went away (or refused this user mid-run) and the job's retries ran out. A full or failing
    /// disk is an <see cref="IOException"/> the classifier calls transient too: that is not the broker's.</summary>
    private static bool IsBrokerFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is not IOException && FaultClassifier.Classify(ex, cancellationToken).Kind is FaultKind.Transient or FaultKind.Refused;

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
