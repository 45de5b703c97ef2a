using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using RabbitMQ.Client;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Resilience;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Results;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job;

/// <summary>
/// One file, start to finish: resume from its checkpoint if it has one, cut and publish its batches no further than
/// the window ahead of the collector, collect the results in order, and make the outputs final. With a
/// <paramref name="sharedWindow"/>, every batch in flight also holds one batch of that window, shared with the other
/// files of the service. Its results come back through <paramref name="results"/>, the inbox of the whole process.
/// </summary>
internal sealed class JobRunner(
    JobFiles files, ProducerOptions options, IConnection connection, ConfirmingPublisher publisher, ResultsInbox results,
    TimeProvider time, ILogger logger, SharedWindow? sharedWindow = null, bool startOverOnChangedInput = false)
{
    private readonly ResiliencePipeline _publishRetry = new ResiliencePipelineBuilder()
        .AddRetry(RetryDefaults.Publish.ToRetryStrategy(args =>
        {
            JobLog.PublishRetry(logger, args.Outcome.Exception?.Message ?? "unknown");
            ProducerTracing.PublishRetried(args.Outcome.Exception?.Message ?? "unknown");
            return ValueTask.CompletedTask;
        }))
        .Build();

    private ResultCollector? _collector;
    private InputExtent? _extent;
    private long _linesAtStart;
    private long _startedAt;
    private bool _done;

    public JobFiles Files => files;

    public JobProgress Progress()
    {
        var collector = _collector;
        return collector is null
            ? new JobProgress(files.Name, false, false, 0, 0, 0, 0, 0, TimeSpan.Zero)
            : new JobProgress(files.Name, true, _done, collector.LinesWritten, _linesAtStart, collector.InputOffsetWritten,
                _extent?.Bytes ?? 0, collector.FailedLines, time.GetElapsedTime(_startedAt));
    }

    public async Task<JobResult> RunAsync(CancellationToken cancellationToken)
    {
        var input = new FileInfo(files.InputPath);
        if (input.LinkTarget is not null && input.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
        {
            input = target;
        }
        var cut = new CutSettings(options.BatchLines, options.BatchBytes, options.MaxLineBytes);
        var checkpoint = LoadCheckpoint(input, cut, out var fingerprint, out var discardedResultsQueue);
        using var fingerprintScope = fingerprint;
        using var activity = ProducerTracing.StartFile(files, checkpoint);
        var jobId = checkpoint?.JobId ?? Guid.NewGuid();
        var job = new JobDescriptor(
            jobId, files, input.Length, input.LastWriteTimeUtc, cut,
            checkpoint?.StartedAt ?? time.GetUtcNow(),
            checkpoint?.TraceId ?? activity?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString(),
            checkpoint?.RootSpanId ?? activity?.SpanId.ToHexString());
        ProducerTracing.FileStarted(activity, job.JobId);
        var context = new JobContext(files, time, logger);
        await using var output = JobOutput.Open(files, checkpoint?.OutputLengths());
        using var watermark = PublishWatermark.Open(files.Published, resuming: checkpoint is not null);
        using var window = new JobWindow(options.Window, checkpoint?.NextSequence ?? 0, sharedWindow);
        var state = new JobState(job, window, output, checkpoint, results.HeldResults((long)options.ReorderBudgetMiB * 1024 * 1024));
        await using var collector = new ResultCollector(
            state, output, fingerprint, checkpoint?.NextSequence, TimeSpan.FromSeconds(options.WritePauseSeconds), context,
            cancellationToken);
        var extent = _extent = new InputExtent(input.Length, fingerprint.Compression != InputCompression.None);
        _linesAtStart = checkpoint is null ? 0 : checkpoint.NextLine - 1;
        _startedAt = time.GetTimestamp();
        _collector = collector;
        using var tracked = ProducerMetrics.Track(files.Name, collector, () => extent.Bytes);

        var batches = new BatchPublisher(state, window, watermark, publisher, connection, _publishRetry, context);
        using var retransmitter = new Retransmitter(
            job, state, collector, batches,
            new RetransmitPolicy(TimeSpan.FromSeconds(options.RetransmitSeconds), options.RetransmissionsBeforeFailing), context);
        collector.ResultsLost += retransmitter.RequestNow;
        // The queue the checkpoint names is another run's (a process now gone: this one publishes every batch from the
        // checkpoint again, to its own queue), or this process's own when the watch service tries a job again.
        var previousQueue = checkpoint is null ? null : state.ResultsQueue;
        await using var registration = results.Register(jobId, collector);
        LogStart(job, checkpoint, watermark);
        foreach (var left in new[] { previousQueue, discardedResultsQueue })
        {
            if (left is not null)
            {
                results.ForgetQueue(left);
            }
        }
        // The checkpoint is written before the first publish, so that a producer killed at any moment is resumed under
        // the same job id.
        await collector.SaveCheckpointAsync(cancellationToken);
        using var stopRetransmitting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var retransmitting = retransmitter.RunAsync(stopRetransmitting.Token);
        try
        {
            var opening = time.GetTimestamp();
            await using (var inputCursor = await InputCursor.OpenAsync(
                files.InputPath, cut, jobId, checkpoint?.InputOffset ?? 0, checkpoint?.NextSequence ?? 0, checkpoint?.NextLine ?? 1,
                (end, compressedRead, ended) =>
                {
                    extent.Observe(end, compressedRead, ended);
                    fingerprint.RecordCut(end, compressedRead);
                },
                cancellationToken))
            {
                if (checkpoint is not null && extent.Compressed)
                {
                    var seconds = time.GetElapsedTime(opening).TotalSeconds;
                    JobLog.DecompressedToCheckpoint(logger, files.Name, checkpoint.InputOffset, seconds);
                }
                var total = await batches.PublishAllAsync(inputCursor, options.PublishesInFlight, retransmitter.CutThrough, cancellationToken);
                collector.SetTotal(total);
            }
            await collector.AllWritten.WaitAsync(cancellationToken);
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
        // Whatever comes for the job from now on is a late duplicate: the inbox drops it.
        await registration.EndAsync(cancellationToken);

        var completedAt = time.GetUtcNow();
        var duration = completedAt - job.StartedAt;
        var lines = collector.LinesWritten;
        var summary = new JobSummary(
            files.Name, lines, collector.FailedLines, collector.NextSequence, job.StartedAt, completedAt,
            (long)duration.TotalMilliseconds, duration.TotalSeconds > 0 ? Math.Round(lines / duration.TotalSeconds, 1) : lines,
            job.TraceId, collector.Duplicates, collector.Dropped, watermark.Republished);
        // Everything is written: a crash from here on resumes with nothing left to publish.
        await collector.SaveFinalCheckpointAsync(cancellationToken);
        await output.CompleteAsync(summary, lines, cancellationToken);
        NoticeInputChange(job);
        watermark.Delete();
        ProducerTracing.FileCompleted(activity, summary);
        _done = true;
        JobLog.Completed(logger, job.JobId, files.Name, lines, collector.FailedLines, collector.Duplicates);
        return new JobResult(files, summary);
    }

    /// <summary>The output covers the input as it was read; say so when it has changed since it was taken.</summary>
    private void NoticeInputChange(JobDescriptor job)
    {
        var now = new FileInfo(files.InputPath);
        if (now.Exists && (now.Length != job.InputLength || now.LastWriteTimeUtc != job.InputLastWriteUtc))
        {
            JobLog.InputChangedWhileRead(logger, files.Name, job.InputLength, now.Length);
        }
    }

    /// <summary>The checkpoint to resume from, or null; <paramref name="fingerprint"/> hashes the input for the checkpoints
    /// to come. An input that changed since its checkpoint starts over, or fails the job (<see cref="InputChangedException"/>).</summary>
    private JobCheckpoint? LoadCheckpoint(
        FileInfo input, CutSettings cut, out InputFingerprint fingerprint, out string? discardedResultsQueue)
    {
        fingerprint = new InputFingerprint(input.FullName);
        var checkpoint = CheckpointStore.TryLoad(files, input, cut, fingerprint, logger, out var inputChange, out discardedResultsQueue);
        if (inputChange is not null)
        {
            if (!startOverOnChangedInput)
            {
                fingerprint.Dispose();
                throw new InputChangedException(
                    $"'{files.InputPath}' is not the input its checkpoint was made from ({inputChange}); "
                    + $"delete '{files.Checkpoint}' to start it over");
            }
            JobLog.StartingOver(logger, files.Name, inputChange);
            fingerprint.Dispose();
            fingerprint = new InputFingerprint(input.FullName);
        }
        return checkpoint;
    }

    private void LogStart(JobDescriptor job, JobCheckpoint? checkpoint, PublishWatermark watermark)
    {
        if (checkpoint is null)
        {
            JobLog.Started(logger, job.JobId, files.Name);
        }
        else
        {
            JobLog.Resumed(logger, job.JobId, files.Name, checkpoint.NextLine, checkpoint.NextSequence, checkpoint.InputOffset,
                watermark.PreviousRunPublishedThrough);
        }
    }
}
