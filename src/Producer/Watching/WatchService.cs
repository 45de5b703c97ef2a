using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Resilience;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Watching;

/// <summary>
/// <c>Producer watch</c>: connects (retrying until the broker is there), resumes every file left in processing/,
/// then lists the inbox whenever its events say it changed (and every poll interval, in case they do not come),
/// takes each file once it has stopped changing (a rename into processing/) while fewer than
/// <see cref="WatchOptions.FilesAtOnce"/> are in flight — the next one the moment a file finishes — and moves whatever
/// cannot be processed to failed/ with the reason; an errors file dropped into redrive/ runs its lines again
/// (<see cref="RedriveDrops"/>). All files share one <see cref="Job.Core.SharedWindow"/>. On SIGTERM/SIGINT it stops taking files and publishing;
/// the files in flight keep their checkpoints in processing/ and resume on the next start.
/// </summary>
internal sealed class WatchService(
    BrokerConnector connector,
    IOptions<WatchOptions> watchOptions,
    IOptions<ProducerOptions> producerOptions,
    IOptions<RabbitMqOptions> brokerOptions,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers) : BackgroundService
{
    public const string LoggerCategory = "Streaming.Producer.Watch";

    private readonly WatchOptions _options = watchOptions.Value;
    private readonly ILogger _logger = loggers.CreateLogger(LoggerCategory);
    private readonly WatchFolders _folders = new(
        watchOptions.Value.Data, OutputCompressions.TryParse(watchOptions.Value.Compress, out var compression) ? compression : OutputCompression.None);

    /// <summary>Listings prompted by events are at least this far apart, and at least <see cref="EventScanCostFactor"/>
    /// times as far apart as the last one took: a flood of events costs a bounded share of a core.</summary>
    private static readonly TimeSpan s_minEventScanGap = TimeSpan.FromMilliseconds(10);
    private const int EventScanCostFactor = 4;

    private readonly WakeSignal _wake = new(time);
    private readonly long _startedAt = time.GetTimestamp();

    private readonly Dictionary<string, (WatchJob Job, Task Run)> _running = new(StringComparer.Ordinal);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ServiceLoop.RunAsync(RunAsync, new ServiceLoopLog(
            reason => WatchLog.TopologyMismatch(_logger, reason),
            (reason, delaySeconds) => WatchLog.StartInterrupted(_logger, reason, delaySeconds),
            exception => WatchLog.ServiceFailed(_logger, exception)), lifetime, stoppingToken);

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        _folders.Create();
        await using var session = await ProducerSession.OpenAsync(
            connector,
            new ProducerSessionSettings(
                $"streaming-producer watch {Environment.MachineName}/{Environment.ProcessId}",
                PipelineQueues.For(producerOptions.Value.Pipeline), RetryForever: true,
                producerOptions.Value, _options.FilesAtOnce, TimeSpan.FromSeconds(brokerOptions.Value.PublishTimeoutSeconds),
                SharedWindowBatches: _options.Window, StartOverOnChangedInput: true, FirstCheckpointAfterInterval: true),
            time, _logger, stoppingToken);
        await session.StartAsync(stoppingToken);
        if (_folders.RecordResultsQueue(session.Results.Queue) is { } previous)
        {
            session.Results.ForgetQueue(previous);
        }
        await WatchAsync(session, stoppingToken);
    }

    /// <summary>Resumes what processing/ holds, then takes the inbox's files as they become ready, until stopped; then
    /// waits for the files in flight to stop.</summary>
    private async Task WatchAsync(ProducerSession session, CancellationToken stoppingToken)
    {
        var quietPeriod = TimeSpan.FromMilliseconds(_options.QuietPeriodMilliseconds);
        var tracker = new StabilityTracker(quietPeriod, InboxScanner.MaxEntriesPerScan);
        using var scanner = new InboxScanner(_folders.Inbox, tracker);
        var renamer = new NotUtf8Renamer(_folders.Inbox, _logger);
        var leftOver = new Queue<string>(ListProcessing());
        var redrives = new RedriveDrops(_folders, quietPeriod, session);
        using var events = StartEvents();
        WatchLog.Watching(_logger, _folders.Inbox, _options.QuietPeriodMilliseconds, _options.FilesAtOnce, _options.Window);

        var pollInterval = TimeSpan.FromMilliseconds(_options.PollIntervalMilliseconds);
        var progressInterval = TimeSpan.FromSeconds(session.Options.ProgressIntervalSeconds);
        var nextProgress = Now() + progressInterval;
        var ready = new Queue<string>();
        var scanDue = TimeSpan.Zero;            // the backstop listing, or the end of a tracked entry's quiet period
        var eventScanAllowed = TimeSpan.Zero;   // event-driven listings are spaced by their own cost
        var inboxChanged = false;
        try
        {
            while (true)
            {
                Reap();
                ResumeLeftOver(leftOver, session, stoppingToken);
                inboxChanged |= events.TakeChanges(tracker);
                var now = Now();
                if (now >= scanDue || (inboxChanged && now >= eventScanAllowed))
                {
                    // A pass over a large inbox goes on at the pace of event-driven listings: a bounded share of a core.
                    ready = Scan(scanner, renamer, out var passEnded);
                    inboxChanged = !passEnded;
                    var scanned = Now();
                    eventScanAllowed = scanned + Max(s_minEventScanGap, (scanned - now) * EventScanCostFactor);
                    scanDue = Min(now + pollInterval, tracker.NextQuietEnd(now) ?? TimeSpan.MaxValue);
                }
                TakeReady(ready, scanner, session, stoppingToken);
                redrives.TakeNext(_wake.Set, stoppingToken);
                if (Now() >= nextProgress)
                {
                    nextProgress = Now() + progressInterval;
                    LogProgress();
                }
                var wakeAt = Min(Min(scanDue, nextProgress), inboxChanged ? eventScanAllowed : TimeSpan.MaxValue);
                await _wake.WaitAsync(wakeAt - Now(), stoppingToken);
            }
        }
        finally
        {
            WatchLog.Stopping(_logger, _running.Count);
            await Task.WhenAll(_running.Values.Select(r => r.Run).Append(redrives.Running));
        }
    }

    /// <summary>The inbox's change events, or none (then the poll interval alone finds new files: said in the log).</summary>
    private InboxEvents StartEvents()
    {
        var events = InboxEvents.Start(_folders.Inbox, _wake, out var eventsUnavailable);
        if (eventsUnavailable is not null)
        {
            WatchLog.EventsUnavailable(_logger, eventsUnavailable, _options.PollIntervalMilliseconds);
        }
        return events;
    }

    /// <summary>Starts the files an earlier run left in processing/, while there is room: they go before anything new.</summary>
    private void ResumeLeftOver(Queue<string> leftOver, ProducerSession session, CancellationToken stoppingToken)
    {
        while (_running.Count < _options.FilesAtOnce && leftOver.TryDequeue(out var name))
        {
            WatchLog.Resuming(_logger, name);
            Start(name, session, stoppingToken);
        }
    }

    private TimeSpan Now() => time.GetElapsedTime(_startedAt);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Lists the inbox (or the next part of it), moves what cannot be processed to failed/, and returns the
    /// files ready to be taken, oldest first (empty when the inbox cannot be listed).</summary>
    private Queue<string> Scan(InboxScanner scanner, NotUtf8Renamer renamer, out bool passEnded)
    {
        InboxScan scan;
        try
        {
            scan = scanner.Scan(Now());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WatchLog.ListFailed(_logger, _folders.Inbox, ex.Message);
            TryCreateFolders();
            passEnded = true;
            return new Queue<string>();
        }
        passEnded = scan.PassEnded;
        foreach (var name in scan.NewlySeen)
        {
            WatchLog.Seen(_logger, name);
        }
        foreach (var (name, reason) in scan.Unprocessable)
        {
            Fail(scanner, name, reason);
        }
        foreach (var name in scan.Vanished)
        {
            Fail(scanner, name, "it disappeared from the inbox before it could be taken (deleted or renamed after it was listed)");
        }
        renamer.Rename(scan.NotUtf8);
        return new Queue<string>(scan.Ready);
    }

    /// <summary>Takes the ready files, oldest first, while there is room: each is renamed into processing/, then one
    /// fsync of both folders makes every rename of the group durable before any of them starts (two fsyncs per file
    /// on this loop had set the pace of a folder of small files).</summary>
    private void TakeReady(Queue<string> ready, InboxScanner scanner, ProducerSession session, CancellationToken stoppingToken)
    {
        var taken = new List<(string Name, string ProcessingName)>();
        while (_running.Count + taken.Count < _options.FilesAtOnce && ready.TryDequeue(out var name))
        {
            if (Move(scanner, name) is { } processingName)
            {
                taken.Add((name, processingName));
            }
        }
        if (taken.Count == 0)
        {
            return;
        }
        try
        {
            _folders.SyncTaken();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // They are in processing/, not yet durably: the next start resumes them, as it does any file left there.
            foreach (var (name, _) in taken)
            {
                WatchLog.MoveFailed(_logger, name, ex.Message);
            }
            return;
        }
        foreach (var (name, processingName) in taken)
        {
            WatchLog.Taken(_logger, name, processingName);
            Start(processingName, session, stoppingToken);
        }
    }

    /// <summary>Renames one ready file into processing/ and returns its name there, or moves it to failed/ with the
    /// reason (null).</summary>
    private string? Move(InboxScanner scanner, string name)
    {
        var inboxPath = Path.Combine(_folders.Inbox, name);
        if (!_options.FollowSymlinks && FileProbe.Probe(inboxPath).IsSymlink)
        {
            Fail(scanner, name, "it is a symbolic link, and Watch:FollowSymlinks is off (whoever may write the inbox could point one anywhere)");
            return null;
        }
        if (WatchJob.InputProblem(inboxPath) is { } problem)
        {
            Fail(scanner, name, problem);
            return null;
        }
        try
        {
            var processingName = _folders.ChooseProcessingName(name);
            _folders.MoveToProcessing(name, processingName);
            scanner.Forget(name);
            return processingName;
        }
        catch (FileNotFoundException)
        {
            Fail(scanner, name, "it disappeared from the inbox before it could be taken (deleted or renamed after it was listed)");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            scanner.Forget(name);
            WatchLog.MoveFailed(_logger, name, ex.Message);
        }
        return null;
    }

    private void Start(string name, ProducerSession session, CancellationToken stoppingToken)
    {
        var job = new WatchJob(name, _folders, session);
        _running[name] = (job, RunAndWakeAsync(job, stoppingToken));
    }

    /// <summary>Runs one file, then wakes the loop: its slot is free for the next file at once.</summary>
    private async Task RunAndWakeAsync(WatchJob job, CancellationToken stoppingToken)
    {
        try
        {
            await job.RunAsync(stoppingToken);
        }
        finally
        {
            _wake.Set();
        }
    }

    private void Reap()
    {
        foreach (var name in _running.Where(r => r.Value.Run.IsCompleted).Select(r => r.Key).ToList())
        {
            _running.Remove(name);
        }
    }

    private void Fail(InboxScanner scanner, string name, string reason)
    {
        scanner.Forget(name);
        try
        {
            var reasonFile = _folders.MoveToFailed(Path.Combine(_folders.Inbox, name), reason, time.GetUtcNow());
            WatchLog.Failed(_logger, name, reason, reasonFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WatchLog.MoveFailed(_logger, name, ex.Message);
        }
    }

    /// <summary>Files an earlier run left in processing/, oldest first: they go before anything new.</summary>
    private List<string> ListProcessing() =>
        Directory.EnumerateFileSystemEntries(_folders.Processing)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !InboxNames.IsIgnored(name))
            .OrderBy(name => FileProbe.Probe(Path.Combine(_folders.Processing, name)).ModifiedNanoseconds)
            .ThenBy(name => name, StringComparer.Ordinal)
            .ToList();

    private void LogProgress()
    {
        foreach (var progress in _running.Values.Select(r => r.Job.Progress).OfType<JobProgress>().Where(p => p.Started && !p.Done))
        {
            var text = progress.Describe();
            WatchLog.Progress(_logger, text);
        }
    }

    private void TryCreateFolders()
    {
        try
        {
            _folders.Create();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WatchLog.ListFailed(_logger, _folders.Data, ex.Message);
        }
    }
}
