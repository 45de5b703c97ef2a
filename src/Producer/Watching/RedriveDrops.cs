using Microsoft.Extensions.Logging;
using Streaming.Messaging.Resilience;
using Streaming.Producer.Job;
using Streaming.Producer.Job.Redrive;

namespace Streaming.Producer.Watching;

/// <summary>
/// <c>&lt;data&gt;/redrive/</c>: an errors file dropped there (<c>&lt;name&gt;.errors.jsonl</c>, as outbox/ holds it) runs
/// the lines it lists again, as <c>Producer redrive</c> does, for the input <c>done/&lt;name&gt;</c> and its outputs in
/// outbox/; the drop is deleted when its redrive is complete. One that is refused goes to failed/ with the reason; one
/// interrupted by a stop stays and goes on at the next start. One drop at a time, taken once it has stopped changing.
/// </summary>
internal sealed class RedriveDrops(WatchFolders folders, TimeSpan quietPeriod, ProducerSession session)
{
    private const string Suffix = ".errors.jsonl";

    private static readonly TimeSpan s_afterBrokerLoss = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = session.Logger;
    private Task _running = Task.CompletedTask;
    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;

    /// <summary>The redrive under way, or a completed task.</summary>
    public Task Running => _running;

    /// <summary>Starts the next drop that is ready, unless a redrive is under way.</summary>
    public void TakeNext(Action wake, CancellationToken stoppingToken)
    {
        if (!_running.IsCompleted || session.Time.GetUtcNow() < _notBefore || NextReady() is not { } drop)
        {
            return;
        }
        _running = RunAsync(drop, wake, stoppingToken);
    }

    private string? NextReady()
    {
        try
        {
            return OldestQuiet(folders.Redrive, quietPeriod, session.Time);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WatchLog.ListFailed(_logger, folders.Redrive, ex.Message);
            return null;
        }
    }

    /// <summary>The drop in <paramref name="folder"/> that came first of those that have not changed for
    /// <paramref name="quietPeriod"/> (by <paramref name="time"/>), or null.</summary>
    /// <exception cref="IOException">The folder cannot be listed.</exception>
    internal static string? OldestQuiet(string folder, TimeSpan quietPeriod, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return new DirectoryInfo(folder).EnumerateFiles("*" + Suffix)
            .Where(f => !InboxNames.IsIgnored(f.Name) && now - f.LastWriteTimeUtc >= quietPeriod)
            .OrderBy(f => f.LastWriteTimeUtc)
            .Select(f => f.FullName)
            .FirstOrDefault();
    }

    /// <summary>Runs one drop to its end; never throws.</summary>
    private async Task RunAsync(string drop, Action wake, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var dropName = Path.GetFileName(drop);
        var name = dropName[..^Suffix.Length];
        try
        {
            var plan = RedriveCheck.Plan(Path.Combine(folders.Done, name), folders.Outbox, drop);
            switch (plan.Step)
            {
                case RedriveStep.Refused:
                    Fail(drop, plan.Message);
                    return;
                case RedriveStep.Nothing:
                    WatchFolders.RemoveDrop(drop);
                    WatchLog.NothingToRedrive(_logger, dropName);
                    return;
                case RedriveStep.Commit:
                    Log(await RedriveJob.CommitAsync(plan.Files!, RedriveJob.ReadPendingSummary(plan.Files!), stoppingToken));
                    return;
                default:
                    WatchLog.Redriving(_logger, name, plan.Lines);
                    Log(await new RedriveJob(plan.Files!, plan.Summary!, session).RunAsync(stoppingToken));
                    return;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            WatchLog.RedriveInterrupted(_logger, dropName);
        }
        catch (Exception ex) when (FaultClassifier.IsBrokerFailure(ex, stoppingToken))
        {
            // The drop stays: it is taken again (and the redrive resumes from its checkpoint) once the broker is back.
            _notBefore = session.Time.GetUtcNow() + s_afterBrokerLoss;
            WatchLog.RedriveInterrupted(_logger, dropName);
        }
        catch (Exception ex)
        {
            Fail(drop, ex.Message);
        }
        finally
        {
            wake();
        }
    }

    private void Log(JobResult result)
    {
        var attempt = result.Summary.Attempts![^1];
        WatchLog.Redriven(_logger, result.Summary.File, attempt.Lines, attempt.FailedLines);
    }

    private void Fail(string drop, string reason)
    {
        try
        {
            var reasonFile = folders.MoveToFailed(drop, reason, session.Time.GetUtcNow());
            WatchLog.Failed(_logger, Path.GetFileName(drop), reason, reasonFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WatchLog.MoveFailed(_logger, Path.GetFileName(drop), ex.Message);
        }
    }
}
