using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Diagnostics;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;
using Streaming.Producer.Jobs;
using Streaming.Producer.Publishing;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Collecting;

/// <summary>
/// Consumes one job's results queue into its <see cref="JobState"/> (which orders, deduplicates and writes), and around
/// it does what touches the broker and the disk: acknowledgements and dead letters, pausing while the output cannot be
/// written, checkpoints, and telling the publisher when the window moves. A result is acknowledged once it is written
/// or held: after a crash the producer publishes again from the last checkpoint, so nothing past the checkpoint needs
/// to survive in the queue.
/// </summary>
internal sealed class ResultCollector : IDisposable
{
    private static readonly TimeSpan s_checkpointInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_firstWriteRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_longestWriteRetry = TimeSpan.FromSeconds(2);

    private readonly JobDescriptor _job;
    private readonly JobOutput _output;
    private readonly ConfirmingPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _longestWritePause;
    private readonly InputFingerprint _fingerprint;
    private readonly CancellationToken _stopping;
    private readonly JobState _state;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _checkpointing = new(1, 1);
    private readonly TaskCompletionSource _allWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _finalCheckpointTaken;
    private long _checkpointedSequence;
    private long _lastCheckpoint;
    private volatile string _queue;

    public ResultCollector(
        JobDescriptor job, JobOutput output, BatchLedger ledger, JobCheckpoint? resumeFrom, int window,
        ConfirmingPublisher publisher, TimeProvider time, ILogger logger, TimeSpan longestWritePause,
        InputFingerprint fingerprint, CancellationToken stopping)
    {
        _job = job;
        _output = output;
        _publisher = publisher;
        _time = time;
        _logger = logger;
        _longestWritePause = longestWritePause;
        _fingerprint = fingerprint;
        _stopping = stopping;
        // The results held for reordering: a window of batches, each result at most one broker message.
        _state = new JobState(job.JobId, ledger, window, (long)window * JobState.MaxResultLineBytes, output, resumeFrom);
        _state.BatchWritten += OnBatchWritten;
        _checkpointedSequence = resumeFrom?.NextSequence ?? -1;
        _lastCheckpoint = time.GetTimestamp();
        _queue = job.ResultsQueue;
    }

    /// <summary>The queue this job's batches answer to now (<see cref="ResultsRoute"/> may move it).</summary>
    public string Queue => _queue;

    /// <summary>From now on batches answer to <paramref name="queue"/>; the next checkpoint records it.</summary>
    public void MoveTo(string queue) => _queue = queue;

    public long NextSequence => _state.NextSequence;

    public long LinesWritten => _state.NextLine - 1;

    public long InputOffsetWritten => _state.InputOffsetWritten;

    public long FailedLines => _output.FailedLines;

    public long Duplicates => _state.Duplicates;

    public long Dropped => _state.Dropped;

    public int Buffered => _state.Held;

    /// <summary>Raised, under the collector's lock (keep it short), each time the next batch has been written.</summary>
    public event Action? BatchWritten;

    /// <summary>Completes when every batch up to the total is on disk.</summary>
    public Task AllWritten => _allWritten.Task;

    /// <summary>Waits until batch <paramref name="sequence"/> is inside the window.</summary>
    public async Task WaitForRoomAsync(long sequence, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task advanced;
            lock (_lock)
            {
                if (_state.IsInWindow(sequence))
                {
                    return;
                }
                advanced = _advanced.Task;
            }
            await advanced.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Gives up on batch <paramref name="sequence"/> when it is the next one to write (<see cref="JobState.FailBatch"/>).
    /// False when it could not be written now (a full disk): nothing changed, and it may be tried again.
    /// </summary>
    public bool TryFailBatch(long sequence, string reason)
    {
        try
        {
            lock (_lock)
            {
                _state.FailBatch(sequence, System.Text.Encoding.UTF8.GetBytes(reason));
            }
            return true;
        }
        catch (IOException ex)
        {
            CollectorLog.CheckpointDeferred(_logger, _job.Files.Name, ex.Message);
            return false;
        }
    }

    public void Dispose() => _checkpointing.Dispose();

    /// <summary>Called by the publisher once the whole file is cut.</summary>
    public void SetTotal(long batches)
    {
        lock (_lock)
        {
            _state.SetTotal(batches);
            CompleteIfDone();
        }
    }

    public async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        if (delivery.BasicProperties.ContentType == MessageHeaders.ProbeContentType)
        {
            await AckQuietlyAsync(channel, delivery);
            return;
        }
        using var activity = ProducerTracing.StartCollect(delivery, Queue);
        try
        {
            var rejection = await AcceptWhenWrittenAsync(delivery);
            if (rejection is not null)
            {
                await DeadLetterAsync(delivery, rejection);
            }
            FaultInjection.Reach(FaultInjection.CollectorAfterWrite);
            if (_time.GetElapsedTime(_lastCheckpoint) >= s_checkpointInterval && await TrySaveCheckpointAsync())
            {
                FaultInjection.Reach(FaultInjection.CollectorAfterCheckpoint);
            }
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (Exception ex)
        {
            MessagingActivities.Failed(ex);
            CollectorLog.HandlingFailed(_logger, Queue, ex);
            try
            {
                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
            }
            catch (Exception)
            {
                // The channel is gone: the broker returns the message by itself.
            }
        }
    }

    /// <summary>
    /// Writes or holds one result; returns a reason when it must be dead-lettered. A write that fails (a full disk)
    /// leaves the output as it was; the result is held here, unacknowledged, and written again with backoff until it goes
    /// through, so the job pauses while the disk is full and goes on by itself when there is room. Past the longest pause
    /// the job fails and keeps its checkpoint.
    /// </summary>
    private async Task<string?> AcceptWhenWrittenAsync(BasicDeliverEventArgs delivery)
    {
        LineResult result;
        try
        {
            result = LineResult.Decode(delivery.Body, JobState.MaxResultLineBytes);
        }
        catch (MessageFormatException ex)
        {
            return "malformed result: " + ex.Message;
        }
        ProducerTracing.Result(result.Header);
        AcceptOutcome? outcome = null;
        long pausedAt = 0;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                lock (_lock)
                {
                    if (outcome is null)
                    {
                        outcome = _state.Accept(result);
                    }
                    else
                    {
                        _state.WriteHeldInTurn();
                    }
                }
                if (attempt > 0)
                {
                    CollectorLog.WritingResumed(_logger, _job.Files.Name, _time.GetElapsedTime(pausedAt).TotalSeconds);
                }
                return Report(result.Header, outcome.Value);
            }
            catch (IOException ex)
            {
                if (attempt == 0)
                {
                    pausedAt = _time.GetTimestamp();
                    CollectorLog.WritingPaused(_logger, _job.Files.Name, ex.Message, _longestWritePause.TotalSeconds);
                }
                else if (_time.GetElapsedTime(pausedAt) >= _longestWritePause)
                {
                    var failure = new IOException(
                        $"'{_job.Files.Output}' could not be written for {_longestWritePause.TotalSeconds:0} s: {ex.Message}", ex);
                    _allWritten.TrySetException(failure);
                    throw failure;
                }
                var delay = TimeSpan.FromTicks(Math.Min(s_longestWriteRetry.Ticks, s_firstWriteRetry.Ticks << Math.Min(attempt, 8)));
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping, delivery.CancellationToken);
                await Task.Delay(delay, _time, wait.Token);
            }
        }
    }

    /// <summary>Tells telemetry and the log what became of a result; returns the reason to dead-letter it, if any.</summary>
    private string? Report(BatchHeader header, AcceptOutcome outcome)
    {
        switch (outcome.Kind)
        {
            case AcceptOutcomeKind.Held:
                ProducerTracing.Held(header.Sequence);
                return null;
            case AcceptOutcomeKind.Duplicate:
                ProducerMetrics.DuplicateDropped();
                ProducerTracing.Duplicate();
                return null;
            case AcceptOutcomeKind.Dropped:
                ProducerTracing.Dropped(outcome.Reason!);
                CollectorLog.Dropped(_logger, header.JobId, header.Sequence, outcome.Reason!);
                MessagingMetrics.Dropped(QueueNames.ResultsPrefix + "*", outcome.Reason!);
                return null;
            case AcceptOutcomeKind.Malformed:
                return outcome.Reason;
            default:
                return null;
        }
    }

    private static async Task AckQuietlyAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        try
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (Exception)
        {
            // The channel is gone: a probe needs no second look.
        }
    }

    /// <summary>A checkpoint that cannot be written now (a full disk) is only late: the next result tries again.</summary>
    private async Task<bool> TrySaveCheckpointAsync()
    {
        try
        {
            return await SaveCheckpointAsync(CancellationToken.None);
        }
        catch (IOException ex)
        {
            lock (_lock)
            {
                _checkpointedSequence = -1;
            }
            CollectorLog.CheckpointDeferred(_logger, _job.Files.Name, ex.Message);
            return false;
        }
    }

    /// <summary>Flushes the output and records how far it is complete; false when nothing changed since the last one,
    /// or the final checkpoint is taken.</summary>
    public Task<bool> SaveCheckpointAsync(CancellationToken cancellationToken) => SaveCheckpointAsync(final: false, cancellationToken);

    /// <summary>Saves the last checkpoint once every save under way has landed (a result handler's could otherwise land
    /// after the completed job deleted the checkpoint, and leave it behind); none is saved after this one.</summary>
    public Task SaveFinalCheckpointAsync(CancellationToken cancellationToken) => SaveCheckpointAsync(final: true, cancellationToken);

    private async Task<bool> SaveCheckpointAsync(bool final, CancellationToken cancellationToken)
    {
        // One at a time, in order: a later checkpoint is never overwritten by an earlier one, and the fingerprint
        // only moves forward.
        await _checkpointing.WaitAsync(cancellationToken);
        try
        {
            JobCheckpoint checkpoint;
            lock (_lock)
            {
                _lastCheckpoint = _time.GetTimestamp();
                if (_finalCheckpointTaken)
                {
                    return false;
                }
                _finalCheckpointTaken = final;
                if (_checkpointedSequence == _state.NextSequence)
                {
                    return false;
                }
                _checkpointedSequence = _state.NextSequence;
                checkpoint = new JobCheckpoint(
                    JobCheckpoint.CurrentSchema, _job.JobId, _job.Files.InputPath, _job.InputLength, _job.InputLastWriteUtc,
                    _job.Cut.BatchLines, _job.Cut.BatchBytes, _job.Cut.MaxLineBytes,
                    _state.NextSequence, _state.NextLine, _state.InputOffsetWritten,
                    _output.OutputLength, _output.ErrorsLength, _output.FailedLines,
                    _job.StartedAt, _job.TraceId, _job.RootSpanId, _queue);
            }
            checkpoint = checkpoint with { InputFingerprint = _fingerprint.Through(checkpoint.InputOffset) };
            await _output.SaveCheckpointAsync(checkpoint, cancellationToken);
            return true;
        }
        finally
        {
            _checkpointing.Release();
        }
    }

    private void OnBatchWritten(BatchLedger.Entry batch)
    {
        ProducerMetrics.Written(_time.GetElapsedTime(batch.PublishedAt));
        ProducerTracing.Written(batch.Sequence, batch.LineCount);
        var advanced = _advanced;
        _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        advanced.TrySetResult();
        BatchWritten?.Invoke();
        CompleteIfDone();
    }

    private void CompleteIfDone()
    {
        if (_state.AllWritten)
        {
            _allWritten.TrySetResult();
        }
    }

    private async Task DeadLetterAsync(BasicDeliverEventArgs delivery, string reason)
    {
        CollectorLog.DeadLettered(_logger, Queue, reason);
        await DeadLetters.PublishAsync(_publisher, delivery.Body, delivery.BasicProperties.ContentType, Queue, reason, CancellationToken.None);
    }
}
