using Microsoft.Extensions.Logging;
using Streaming.Messaging.Resilience;
using Streaming.Producer.Job;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;

namespace Streaming.Producer.Watching;

/// <summary>
/// One file of the watch service, from processing/ to done/ (or failed/): runs its job into outbox/ (resuming from
/// its checkpoint), and when the job stops early decides what that means. An input removed from processing/ is
/// cancelled (<see cref="RemovalWatch"/>); one that can no longer be read, or that shrank below what was published,
/// goes to failed/ with the reason; a lost broker is waited out however long it takes; any other error is tried
/// <see cref="MaxAttempts"/> times, each from the checkpoint, before the file fails with that error.
/// </summary>
internal sealed class WatchJob(string name, WatchFolders folders, ProducerSession session)
{
    private readonly TimeProvider _time = session.Time;
    private readonly ILogger _logger = session.Logger;

    public const int MaxAttempts = 3;

    /// <summary>How long a cancel waits for the broker to take its announcement.</summary>
    public static readonly TimeSpan CancelTimeout = TimeSpan.FromSeconds(10);

    private JobRunner? _runner;
    private Guid? _jobId;

    /// <summary>The name in processing/, which is also the name of its outputs.</summary>
    public string Name => name;

    public JobProgress? Progress => _runner?.Progress();

    /// <summary>Runs until the file is in done/ or failed/, until it is removed from processing/ (then it is
    /// cancelled: nothing of it stays in outbox/), or until <paramref name="cancellationToken"/> (then it stays in
    /// processing/ with its checkpoint). Never throws.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var files = folders.JobOf(name);
        await using var removal = new RemovalWatch(files.InputPath, _time, cancellationToken);
        try
        {
            if (IsComplete(files))
            {
                // A crash between making the outputs final and moving the input: only the move is left.
                folders.MoveToDone(name);
                return;
            }
            await RunWithRetriesAsync(files, removal.Removed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            WatchLog.Interrupted(_logger, name);
        }
        catch (Exception) when (removal.WasRemoved || RemovalWatch.IsGone(files.InputPath))
        {
            await CancelAsync(files, cancellationToken);
        }
        catch (Exception ex)
        {
            Fail(files, ex.Message);
        }
    }

    private async Task RunWithRetriesAsync(JobFiles files, CancellationToken cancellationToken)
    {
        var failures = 0;
        var retries = 0;
        while (true)
        {
            _runner = session.CreateJob(files);
            string reason;
            try
            {
                var result = await RunOnceAsync(_runner, cancellationToken);
                var summary = result.Summary;
                folders.MoveToDone(name);
                WatchLog.Done(_logger, name, summary.Lines, summary.FailedLines, summary.LinesRepublished, summary.DurationMs / 1000.0,
                    files.Output);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                reason = ex.Message;
                if (RemovalWatch.IsGone(files.InputPath))
                {
                    // Removed from processing/ (at the end, the move to done/ found it gone).
                    await CancelAsync(files, CancellationToken.None);
                    return;
                }
                if (InputProblem(files.InputPath) is { } inputProblem)
                {
                    Fail(files, inputProblem);
                    return;
                }
                if (ex is InputDamagedException)
                {
                    Fail(files, $"{reason}: no output can be complete");
                    return;
                }
                if (ex is InputShrankException)
                {
                    Fail(files, $"it shrank while it was being processed ({reason}): no output can match it");
                    return;
                }
                if (!FaultClassifier.IsBrokerFailure(ex, cancellationToken) && ++failures >= MaxAttempts)
                {
                    Fail(files, $"{reason} ({failures} attempts)");
                    return;
                }
            }
            var delay = RetryDefaults.WatchedFile.DelayAfter(++retries);
            WatchLog.Retrying(_logger, name, reason, delay.TotalSeconds);
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    private async Task<JobResult> RunOnceAsync(JobRunner runner, CancellationToken cancellationToken)
    {
        try
        {
            return await runner.RunAsync(cancellationToken);
        }
        finally
        {
            _jobId = runner.JobId ?? _jobId;
        }
    }

    /// <summary>Why the input can no longer be processed, or null when it is still a readable regular file.</summary>
    public static string? InputProblem(string path)
    {
        var status = FileProbe.Probe(path);
        if (status.Kind == EntryKind.Missing)
        {
            return "it was deleted or moved away while it was being processed";
        }
        if (status.Unprocessable is { } reason)
        {
            return reason;
        }
        try
        {
            PosixFiles.OpenInput(path).Dispose();
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "it cannot be read: " + ex.Message;
        }
    }

    private static bool IsComplete(JobFiles files) =>
        !File.Exists(files.Checkpoint) && File.Exists(files.Summary) && File.Exists(files.Output)
        && !File.Exists(JobFiles.Partial(files.Output));

    /// <summary>The input was removed from processing/: the consumers skip its queued batches, whatever the job wrote
    /// goes too, and no reason is left in failed/ (nothing failed). Bounded by <see cref="CancelTimeout"/> (or the
    /// service's stop) for the announcement.</summary>
    private async Task CancelAsync(JobFiles files, CancellationToken stopping)
    {
        if (_jobId is { } jobId)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(CancelTimeout);
            try
            {
                await session.CancelJobAsync(jobId, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The service is stopping, or the broker is not answering: the results queue's check still applies.
            }
        }
        try
        {
            files.RemoveAll();
            WatchLog.Cancelled(_logger, name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WatchLog.CancelCleanupFailed(_logger, name, files.OutputDirectory, ex.Message);
        }
    }

    private void Fail(JobFiles files, string reason)
    {
        try
        {
            files.RemoveResumable();
            var reasonFile = folders.MoveToFailed(files.InputPath, reason, _time.GetUtcNow());
            WatchLog.Failed(_logger, name, reason, reasonFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WatchLog.MoveFailed(_logger, name, ex.Message);
        }
    }
}
