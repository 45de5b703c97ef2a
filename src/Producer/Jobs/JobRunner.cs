using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Diagnostics;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Topology;
using Streaming.Producer.Collecting;
using Streaming.Producer.Publishing;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Jobs;

/// <summary>
/// One file, start to finish: resume from its checkpoint if it has one, cut and publish its batches no further than
/// the window ahead of the collector, collect the results in order, and make the outputs final. With a
/// <paramref name="sharedWindow"/>, every batch in flight also holds one batch of that window, shared with the other
/// files of the service.
/// </summary>
internal sealed class JobRunner(
    JobFiles files, ProducerOptions options, IConnection connection, ConfirmingPublisher publisher,
    TimeProvider time, ILogger logger, SharedWindow? sharedWindow = null, bool startOverOnChangedInput = false)
{
    private readonly ResiliencePipeline _publishRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder()
                .Handle<AlreadyClosedException>()
                .Handle<OperationInterruptedException>()
                .Handle<TimeoutException>()
                .Handle<PublishException>()
                .Handle<IOException>(),
            MaxRetryAttempts = 40,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                JobLog.PublishRetry(logger, args.Outcome.Exception?.Message ?? "unknown");
                ProducerTracing.PublishRetried(args.Outcome.Exception?.Message ?? "unknown");
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    private static readonly TimeSpan s_consumerCheckTimeout = TimeSpan.FromSeconds(10);

    private ResultCollector? _collector;
    private long _inputLength;
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
                _inputLength, collector.FailedLines, time.GetElapsedTime(_startedAt));
    }

    public async Task<JobResult> RunAsync(CancellationToken cancellationToken)
    {
        var input = new FileInfo(files.InputPath);
        if (input.LinkTarget is not null && input.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
        {
            input = target;
        }
        var cut = new CutSettings(options.BatchLines, options.BatchBytes, options.MaxLineBytes);
        var fingerprint = new InputFingerprint(input.FullName);
        var checkpoint = CheckpointStore.TryLoad(files, input, cut, fingerprint, logger, out var inputChange);
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
        using var fingerprintScope = fingerprint;
        using var activity = ProducerTracing.StartFile(files, checkpoint);
        var jobId = checkpoint?.JobId ?? Guid.NewGuid();
        var job = new JobDescriptor(
            jobId, files, input.Length, input.LastWriteTimeUtc, cut,
            checkpoint?.StartedAt ?? time.GetUtcNow(),
            checkpoint?.TraceId ?? activity?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString(),
            checkpoint?.RootSpanId ?? activity?.SpanId.ToHexString(),
            // A resumed run answers where the run before it did last: results of its batches still out are of use.
            checkpoint?.ResultsQueue ?? QueueNames.ResultsFor(jobId));
        ProducerTracing.FileStarted(activity, job.JobId);
        await using var output = JobOutput.Open(files, checkpoint);
        using var watermark = PublishWatermark.Open(files.Published, resuming: checkpoint is not null);
        LogStart(job, checkpoint, watermark);
        var ledger = new BatchLedger(options.Window);
        using var collector = new ResultCollector(
            job, output, ledger, checkpoint, options.Window, publisher, time, logger,
            TimeSpan.FromSeconds(options.WritePauseSeconds), fingerprint, cancellationToken);
        using var share = sharedWindow?.Join();
        if (share is not null)
        {
            collector.BatchWritten += share.Release;
        }
        _inputLength = input.Length;
        _linesAtStart = checkpoint is null ? 0 : checkpoint.NextLine - 1;
        _startedAt = time.GetTimestamp();
        _collector = collector;
        using var tracked = ProducerMetrics.Track(files.Name, collector, input.Length);

        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = MessageHeaders.BatchContentType,
            CorrelationId = job.JobId.ToString("N"),
        };
        using var retransmitter = new Retransmitter(
            job, collector, ledger,
            (batch, ct) =>
            {
                watermark.Retransmitting(batch.LineCount);
                return PublishBatchAsync(batch, properties, ct);
            },
            TimeSpan.FromSeconds(options.RetransmitSeconds), options.RetransmissionsBeforeFailing, ConsumersAttachedAsync, time, logger);
        await using var results = new ResultsRoute(
            connection, collector, resuming: checkpoint is not null, retransmitter.RequestNow, files, time, logger);
        // The checkpoint is written before the first publish, so that a producer killed at any moment is resumed under
        // the same job id: its batches still in the queues then answer to the same results queue. Subscribing to that
        // queue meanwhile takes the broker round trips off every file's latency.
        await Task.WhenAll(collector.SaveCheckpointAsync(cancellationToken), results.StartAsync(cancellationToken));
        using var stopRetransmitting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var retransmitting = retransmitter.RunAsync(stopRetransmitting.Token);
        var watchingResults = results.WatchAsync(stopRetransmitting.Token);
        try
        {
            await PublishAllAsync(job, collector, ledger, checkpoint, properties, retransmitter, share, watermark, cancellationToken);
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
            await watchingResults;
        }
        await results.StopAsync();

        var completedAt = time.GetUtcNow();
        var duration = completedAt - job.StartedAt;
        var lines = collector.LinesWritten;
        var summary = new JobSummary(
            files.Name, lines, collector.FailedLines, collector.NextSequence, job.StartedAt, completedAt,
            (long)duration.TotalMilliseconds, duration.TotalSeconds > 0 ? Math.Round(lines / duration.TotalSeconds, 1) : lines,
            job.TraceId, collector.Duplicates, collector.Dropped, watermark.Republished);
        // Everything is written: a crash from here on resumes with nothing left to publish.
        await collector.SaveCheckpointAsync(cancellationToken);
        await output.CompleteAsync(summary, lines, cancellationToken);
        NoticeInputChange(job);
        watermark.Delete();
        ProducerTracing.FileCompleted(activity, summary);
        _done = true;
        JobLog.Completed(logger, job.JobId, files.Name, lines, collector.FailedLines, collector.Duplicates);
        await DeleteResultsQueueAsync(results, cancellationToken);
        return new JobResult(files, summary);
    }

    /// <summary>The job is complete on disk; late duplicates in its results queue are not needed. Retried like a publish
    /// (the broker may be restarting); if it still cannot be deleted, the queue expires by itself.</summary>
    private async Task DeleteResultsQueueAsync(ResultsRoute results, CancellationToken cancellationToken)
    {
        await results.DeleteLostQueuesAsync(cancellationToken);
        try
        {
            await _publishRetry.ExecuteAsync(async token => await results.DeleteCurrentQueueAsync(token), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            JobLog.ResultsQueueLeft(logger, files.Name, ex.Message);
        }
    }

    private async Task PublishAllAsync(
        JobDescriptor job, ResultCollector collector, BatchLedger ledger, JobCheckpoint? checkpoint, BasicProperties properties,
        Retransmitter retransmitter, SharedWindow.Lease? share, PublishWatermark watermark, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(PosixFiles.OpenInput(files.InputPath), FileAccess.Read, bufferSize: 0);
        var startOffset = checkpoint?.InputOffset ?? 0;
        stream.Position = startOffset;
        var cutter = new BatchCutter(stream, job.Cut, job.JobId, startOffset, checkpoint?.NextSequence ?? 0, checkpoint?.NextLine ?? 1);
        var writers = Channel.CreateBounded<MessageWriter>(options.PublishesInFlight);
        var allWriters = Enumerable.Range(0, options.PublishesInFlight).Select(_ => new MessageWriter()).ToList();
        allWriters.ForEach(w => writers.Writer.TryWrite(w));
        var inFlight = new List<Task>(options.PublishesInFlight);
        try
        {
            while (true)
            {
                if (share is not null)
                {
                    await share.AcquireAsync(cancellationToken);
                }
                var writer = await writers.Reader.ReadAsync(cancellationToken);
                var batch = await cutter.CutAsync(writer, cancellationToken);
                if (batch is null)
                {
                    share?.Release();
                    break;
                }
                await collector.WaitForRoomAsync(batch.Sequence, cancellationToken);
                ledger.Record(batch, time.GetTimestamp());
                await ObserveFailuresAsync(inFlight);
                watermark.Publishing(batch.FirstLine, batch.LineCount);
                inFlight.Add(PublishAsync(batch, properties, writer, writers.Writer, cancellationToken));
                retransmitter.CutThrough(cutter.NextSequence);
            }
            await Task.WhenAll(inFlight);
            collector.SetTotal(cutter.NextSequence);
        }
        finally
        {
            await Task.WhenAll(inFlight).ContinueWith(static _ => { }, TaskScheduler.Default);
            allWriters.ForEach(w => w.Dispose());
        }
    }

    private async Task PublishAsync(
        CutBatch batch, BasicProperties properties, MessageWriter writer, ChannelWriter<MessageWriter> pool,
        CancellationToken cancellationToken)
    {
        try
        {
            await PublishBatchAsync(batch, properties, cancellationToken);
        }
        finally
        {
            pool.TryWrite(writer);
        }
    }

    /// <summary>Publishes until confirmed; a publish whose outcome is unknown is sent again (the collector deduplicates).</summary>
    private async Task PublishBatchAsync(CutBatch batch, BasicProperties properties, CancellationToken cancellationToken)
    {
        using var activity = ProducerTracing.StartBatch(batch, properties.CorrelationId);
        // A copy per publish: RabbitMQ.Client writes the publish's trace context into the properties' headers. The reply
        // queue is read now: the results route may have moved the job to a fresh queue.
        var message = new BasicProperties(properties) { ReplyTo = _collector!.Queue };
        await _publishRetry.ExecuteAsync(
            async token =>
            {
                JobLog.Publishing(logger, batch.Sequence, batch.FirstLine, batch.FirstLine + batch.LineCount - 1);
                await publisher.PublishAsync(QueueNames.Work, message, batch.Body, mandatory: true, token);
            },
            cancellationToken);
        ProducerMetrics.Published(batch.LineCount);
        FaultInjection.Reach(FaultInjection.ProducerAfterBatchConfirmed);
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

    /// <summary>Whether any consumer is attached to the work queue now; false when the broker does not say in time.</summary>
    private async Task<bool> ConsumersAttachedAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_consumerCheckTimeout);
        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
            var answer = await channel.QueueDeclarePassiveAsync(QueueNames.Work, timeout.Token);
            return answer.ConsumerCount > 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task ObserveFailuresAsync(List<Task> inFlight)
    {
        foreach (var task in inFlight)
        {
            if (task.IsFaulted || task.IsCanceled)
            {
                await task;
            }
        }
        inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
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
