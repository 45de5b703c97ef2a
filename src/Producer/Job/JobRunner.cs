using Microsoft.Extensions.Logging;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Results;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job;

/// <summary>
/// One file, start to finish: resume from its checkpoint if it has one, cut and publish its batches no further than
/// the window ahead of the collector, collect the results in order, and make the outputs final. Its batches go out and
/// its results come back through <paramref name="session"/>, the broker session of the whole process; with the
/// session's shared window, every batch in flight also holds one batch of that window, shared with the other files.
/// </summary>
internal sealed class JobRunner(JobFiles files, ProducerSession session)
{
    private readonly ProducerOptions _options = session.Options;
    private readonly TimeProvider _time = session.Time;
    private readonly ILogger _logger = session.Logger;

    private ResultCollector? _collector;
    private InputExtent? _extent;
    private long _linesAtStart;
    private long _startedAt;
    private bool _done;

    public JobFiles Files => files;

    /// <summary>The job's id once its run has started (fresh, or its checkpoint's), else null: nothing was published.</summary>
    public Guid? JobId { get; private set; }

    public JobProgress Progress()
    {
        var collector = _collector;
        return collector is null
            ? new JobProgress(files.Name, false, false, 0, 0, 0, 0, 0, TimeSpan.Zero)
            : new JobProgress(files.Name, true, _done, collector.LinesWritten, _linesAtStart, collector.InputOffsetWritten,
                _extent?.Bytes ?? 0, collector.FailedLines, _time.GetElapsedTime(_startedAt));
    }

    public async Task<JobResult> RunAsync(CancellationToken cancellationToken)
    {
        using var start = JobStart.Open(files, session);
        var (job, checkpoint) = (start.Job, start.Checkpoint);
        JobId = job.JobId;
        await using var parts = await JobParts.OpenAsync(job, checkpoint, start.Fingerprint, session, cancellationToken);
        _extent = parts.Extent;
        _linesAtStart = checkpoint is null ? 0 : checkpoint.NextLine - 1;
        _startedAt = _time.GetTimestamp();
        _collector = parts.Collector;
        LogStart(job, checkpoint, parts.Watermark);
        foreach (var left in new[] { parts.PreviousResultsQueue, start.DiscardedResultsQueue })
        {
            if (left is not null)
            {
                session.Results.ForgetQueue(left);
            }
        }
        if (!session.FirstCheckpointAfterInterval)
        {
            // Written before the first publish, so that a producer killed at any moment resumes under the same job id
            // and forgets the results queue it answered to.
            await parts.Collector.SaveCheckpointAsync(cancellationToken);
        }
        await PublishAndCollectAsync(job, checkpoint, parts, cancellationToken);
        // Whatever comes for the job from now on is a late duplicate: the inbox drops it.
        await parts.Registration.EndAsync(cancellationToken);
        var summary = await CompleteAsync(start, parts, cancellationToken);
        ProducerTracing.FileCompleted(start.Activity, summary);
        _done = true;
        JobLog.Completed(
            _logger, job.JobId, files.Name, parts.Collector.LinesWritten, parts.Collector.FailedLines, parts.Collector.Duplicates);
        return new JobResult(files, summary);
    }

    /// <summary>Publishes every batch from the checkpoint on, retransmitting what seems lost, until every result is
    /// written.</summary>
    private async Task PublishAndCollectAsync(
        JobDescriptor job, JobCheckpoint? checkpoint, JobParts parts, CancellationToken cancellationToken)
    {
        var retransmitter = parts.Retransmitter;
        using var stopRetransmitting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var retransmitting = retransmitter.RunAsync(stopRetransmitting.Token);
        var firstCheckpoint = session.FirstCheckpointAfterInterval
            ? parts.Collector.SaveFirstCheckpointWhenDueAsync(stopRetransmitting.Token)
            : Task.CompletedTask;
        try
        {
            await using (var inputCursor = await OpenInputAsync(job, checkpoint, parts, cancellationToken))
            {
                var total = await parts.Batches.PublishAllAsync(
                    inputCursor, _options.PublishesInFlight, retransmitter.CutThrough, cancellationToken);
                parts.Collector.SetTotal(total);
            }
            await parts.Collector.AllWritten.WaitAsync(cancellationToken);
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
            await firstCheckpoint;
        }
    }

    /// <summary>The input from the checkpoint on (a compressed one decompressed again up to there, which is logged),
    /// telling the extent and the fingerprint where each batch ended.</summary>
    private async Task<InputCursor> OpenInputAsync(
        JobDescriptor job, JobCheckpoint? checkpoint, JobParts parts, CancellationToken cancellationToken)
    {
        var opening = _time.GetTimestamp();
        var cursor = await InputCursor.OpenAsync(
            files.InputPath, job.Cut, job.JobId, checkpoint?.InputOffset ?? 0, checkpoint?.NextSequence ?? 0,
            checkpoint?.NextLine ?? 1,
            (end, compressedRead, ended) =>
            {
                parts.Extent.Observe(end, compressedRead, ended);
                parts.Fingerprint.RecordCut(end, compressedRead);
            },
            cancellationToken);
        if (checkpoint is not null && parts.Extent.Compressed)
        {
            var seconds = _time.GetElapsedTime(opening).TotalSeconds;
            JobLog.DecompressedToCheckpoint(_logger, files.Name, checkpoint.InputOffset, seconds);
        }
        return cursor;
    }

    /// <summary>Ends the checkpoints and makes the outputs final; returns the job's summary.</summary>
    private async Task<JobSummary> CompleteAsync(JobStart start, JobParts parts, CancellationToken cancellationToken)
    {
        var job = start.Job;
        var collector = parts.Collector;
        var completedAt = _time.GetUtcNow();
        var duration = completedAt - job.StartedAt;
        var lines = collector.LinesWritten;
        var summary = new JobSummary(
            files.Name, lines, collector.FailedLines, collector.NextSequence, job.StartedAt, completedAt,
            (long)duration.TotalMilliseconds, duration.TotalSeconds > 0 ? Math.Round(lines / duration.TotalSeconds, 1) : lines,
            job.TraceId, collector.Duplicates, collector.Dropped, parts.Watermark.Republished);
        await collector.EndCheckpointsAsync(cancellationToken);
        summary = summary with
        {
            InputFingerprint = parts.Fingerprint.WholeFile(),
            Attempts = [new RunAttempt(RunAttempt.Run, job.StartedAt, completedAt, summary.DurationMs, lines, summary.FailedLines, job.TraceId)],
        };
        await parts.Output.CompleteAsync(summary, lines, cancellationToken);
        start.NoticeInputChange(_logger);
        parts.Watermark.Dispose();
        files.RemoveWatermark();
        return summary;
    }

    private void LogStart(JobDescriptor job, JobCheckpoint? checkpoint, PublishWatermark watermark)
    {
        if (checkpoint is null)
        {
            JobLog.Started(_logger, job.JobId, files.Name);
        }
        else
        {
            JobLog.Resumed(_logger, job.JobId, files.Name, checkpoint.NextLine, checkpoint.NextSequence, checkpoint.InputOffset,
                watermark.PreviousRunPublishedThrough);
        }
    }
}
