using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Publishing;
using Streaming.Producer.Job.Results;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job.Stdin;

/// <summary>
/// <c>publish - --wait</c>: standard input's lines, cut into batches and published no further than the window ahead of the
/// collector, their results written to <see cref="StdoutSink"/> in input order. Standard input cannot be read twice, so
/// every batch out stays in memory (<see cref="RetainedBatches"/>) until its results are written: that is what a
/// retransmission publishes again. Nothing is written to disk and there is no checkpoint: a run that stops before the end
/// (interrupted, the broker lost for good, standard output gone) cannot be resumed, and says so.
/// </summary>
internal sealed class StdinJob(ProducerSession session)
{
    /// <summary>The job's name in logs, traces and the summary.</summary>
    public const string Name = "stdin";

    private static readonly TimeSpan s_abandonTimeout = TimeSpan.FromSeconds(10);

    private readonly ProducerOptions _options = session.Options;
    private readonly ILogger _logger = session.Logger;
    private ResultCollector? _collector;
    private long _startedAt;
    private bool _done;

    /// <summary>How far the job is, for the progress display.</summary>
    public JobProgress Progress() => _collector is not { } collector
        ? new JobProgress(Name, false, false, 0, 0, 0, 0, 0, TimeSpan.Zero)
        : new JobProgress(Name, true, _done, collector.LinesWritten, 0, 0, 0, collector.FailedLines, session.Time.GetElapsedTime(_startedAt));

    /// <summary>Runs the job to its end: every line of <paramref name="input"/> has its result on <paramref name="output"/>.
    /// A job that fails or is cancelled is abandoned (<see cref="AbandonAsync"/>) and throws.</summary>
    public async Task<JobSummary> RunAsync(Stream input, StdoutSink output, CancellationToken cancellationToken)
    {
        // Names only: nothing is written beside them.
        var files = new JobFiles(Name, Environment.CurrentDirectory);
        var cut = new CutSettings(_options.BatchLines, _options.BatchBytes, _options.MaxLineBytes);
        using var activity = ProducerTracing.StartFile(files, checkpoint: null);
        var job = new JobDescriptor(
            Guid.NewGuid(), files, 0, default, cut, session.Time.GetUtcNow(),
            activity?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString(), activity?.SpanId.ToHexString());
        ProducerTracing.FileStarted(activity, job.JobId);
        try
        {
            var summary = await RunJobAsync(job, input, output, cancellationToken);
            ProducerTracing.FileCompleted(activity, summary);
            return summary;
        }
        catch
        {
            await AbandonAsync(job.JobId);
            throw;
        }
    }

    private async Task<JobSummary> RunJobAsync(JobDescriptor job, Stream input, StdoutSink output, CancellationToken cancellationToken)
    {
        var context = new JobContext(job.Files, session.Time, _logger);
        using var window = new JobWindow(_options.Window, 0, session.SharedWindow, _options.Lead(), session.Time);
        var state = new JobState(job, window, output, resumeFrom: null, session.Results.HeldResults((long)_options.ReorderBudgetMiB * 1024 * 1024));
        var retained = new RetainedBatches(window.Size);
        state.BatchWritten += retained.Written;
        await using var collector = new ResultCollector(
            state, output, fingerprint: null, resumedFrom: null, session.Results, TimeSpan.FromSeconds(_options.WritePauseSeconds),
            context, cancellationToken);
        var batches = new BatchPublisher(
            state, window, watermark: null, session.Results, session.Publisher, session.Connection, session.PublishRetry,
            session.Pipeline, context);
        using var retransmitter = new Retransmitter(
            retained, collector, batches,
            new RetransmitPolicy(TimeSpan.FromSeconds(_options.RetransmitSeconds), _options.RetransmissionsBeforeFailing), context);
        collector.ResultsLost += retransmitter.RequestNow;
        using var lossListener = session.Results.OnResultsMayBeLost(retransmitter.RequestNow);
        await using var registration = session.Results.Register(job.JobId, collector);
        JobLog.Started(_logger, job.JobId, Name);
        (_startedAt, _collector) = (session.Time.GetTimestamp(), collector);

        await PublishAndCollectAsync(job, input, output, batches, retained, retransmitter, collector, cancellationToken);
        // Whatever comes for the job from now on is a late duplicate: the inbox drops it.
        await registration.EndAsync(cancellationToken);
        return Complete(job, collector);
    }

    /// <summary>Publishes every line of <paramref name="input"/> and waits until every result is written, the
    /// retransmitter running beside; standard output gone ends it at once, even while the publisher waits for room in
    /// the window.</summary>
    private async Task PublishAndCollectAsync(
        JobDescriptor job, Stream input, StdoutSink output, BatchPublisher batches, RetainedBatches retained,
        Retransmitter retransmitter, ResultCollector collector, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, output.Broken);
        using var stopRetransmitting = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var retransmitting = retransmitter.RunAsync(stopRetransmitting.Token);
        try
        {
            var batchWait = TimeSpan.FromMilliseconds(_options.StdinBatchWaitMilliseconds);
            await using (var cursor = InputCursor.FromStream(input, job.Cut, job.JobId, retained.Keep, batchWait, session.Time))
            {
                var total = await batches.PublishAllAsync(cursor, _options.PublishesInFlight, retransmitter.CutThrough, stop.Token);
                collector.SetTotal(total);
            }
            await collector.AllWritten.WaitAsync(stop.Token);
        }
        catch (OperationCanceledException) when (output.Failure is { } failure && !cancellationToken.IsCancellationRequested)
        {
            await stopRetransmitting.CancelAsync();
            throw failure;
        }
        catch
        {
            await stopRetransmitting.CancelAsync();
            throw;
        }
        finally
        {
            retransmitter.Stop();
            await retransmitting;
            await stopRetransmitting.CancelAsync();
        }
    }

    /// <summary>Marks the job done, every result written, and logs it; returns its summary.</summary>
    private JobSummary Complete(JobDescriptor job, ResultCollector collector)
    {
        _done = true;
        var completedAt = session.Time.GetUtcNow();
        var duration = completedAt - job.StartedAt;
        var lines = collector.LinesWritten;
        JobLog.Completed(_logger, job.JobId, Name, lines, collector.FailedLines, collector.Duplicates);
        return new JobSummary(
            Name, lines, collector.FailedLines, collector.NextSequence, job.StartedAt, completedAt, (long)duration.TotalMilliseconds,
            duration.TotalSeconds > 0 ? Math.Round(lines / duration.TotalSeconds, 1) : lines, job.TraceId, collector.Duplicates,
            collector.Dropped, LinesRepublished: 0);
    }

    /// <summary>
    /// The job stops before its end and can never be resumed (standard input is gone): its batches still queued are of no
    /// use to anyone. The results queue goes with the session (deleted when it closes; it expires by itself if the
    /// process dies first).
    /// </summary>
    private async Task AbandonAsync(Guid jobId)
    {
        using var timeout = new CancellationTokenSource(s_abandonTimeout);
        StdinLog.Abandoned(_logger, jobId);
        try
        {
            // The consumers skip its batches still queued instead of processing them for a results queue that is gone.
            await session.CancelJobAsync(jobId, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The broker did not take the announcement in time: the consumers skip them once the results queue is gone.
        }
    }
}
