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
/// Consumes one job's results queue and writes the output in input order: it keeps <c>nextSequence</c>, appends
/// results in sequence order, holds the few that arrive early, and drops any sequence it already has — that is the
/// deduplication. The publisher may run at most <c>window</c> batches ahead of <c>nextSequence</c>, which bounds
/// the reorder buffer. A result is acknowledged once it is written or held: after a crash the producer publishes
/// again from the last checkpoint, so nothing past the checkpoint needs to survive in the queue.
/// </summary>
internal sealed class ResultCollector(
    JobDescriptor job,
    JobOutput output,
    BatchLedger ledger,
    JobCheckpoint? resumeFrom,
    int window,
    ConfirmingPublisher publisher,
    TimeProvider time,
    ILogger logger,
    TimeSpan longestWritePause,
    InputFingerprint fingerprint,
    CancellationToken stopping) : IDisposable
{
    /// <summary>Output lines may be longer than input lines; a message cannot exceed the broker's 16 MiB anyway.</summary>
    private const int MaxResultLineBytes = 16 * 1024 * 1024;
    private static readonly TimeSpan s_checkpointInterval = TimeSpan.FromSeconds(1);

    /// <summary>The results held for reordering: a window of batches, each result at most one broker message.</summary>
    private long HeldByteBudget => (long)window * MaxResultLineBytes;
    private static readonly TimeSpan s_firstWriteRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_longestWriteRetry = TimeSpan.FromSeconds(2);

    private readonly Lock _lock = new();
    private readonly ReorderBuffer _reorder = new();
    private readonly SemaphoreSlim _checkpointing = new(1, 1);
    private readonly TaskCompletionSource _allWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextSequence = resumeFrom?.NextSequence ?? 0;
    private long _nextLine = resumeFrom?.NextLine ?? 1;
    private long _checkpointOffset = resumeFrom?.InputOffset ?? 0;
    private long _checkpointedSequence = resumeFrom?.NextSequence ?? -1;
    private long _lastCheckpoint = time.GetTimestamp();
    private long? _totalBatches;

    private volatile string _queue = job.ResultsQueue;

    /// <summary>The queue this job's batches answer to now (<see cref="ResultsRoute"/> may move it).</summary>
    public string Queue => _queue;

    /// <summary>From now on batches answer to <paramref name="queue"/>; the next checkpoint records it.</summary>
    public void MoveTo(string queue) => _queue = queue;

    public long NextSequence => Volatile.Read(ref _nextSequence);

    public long LinesWritten => Volatile.Read(ref _nextLine) - 1;

    public long InputOffsetWritten => Volatile.Read(ref _checkpointOffset);

    public long FailedLines => output.FailedLines;

    public long Duplicates { get; private set; }

    public long Dropped { get; private set; }

    public int Buffered => _reorder.Count;

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
                if (sequence < _nextSequence + window)
                {
                    return;
                }
                advanced = _advanced.Task;
            }
            await advanced.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Gives up on batch <paramref name="sequence"/> when it is the next one to write: what is held of it is written, and
    /// every other line of it fails with <paramref name="reason"/>. Its result may still come later; it is then a duplicate.
    /// False when it could not be written now (a full disk): nothing changed, and it may be tried again.
    /// </summary>
    public bool TryFailBatch(long sequence, string reason)
    {
        try
        {
            lock (_lock)
            {
                FailBatch(sequence, reason);
            }
            return true;
        }
        catch (IOException ex)
        {
            CollectorLog.CheckpointDeferred(logger, job.Files.Name, ex.Message);
            return false;
        }
    }

    private void FailBatch(long sequence, string reason)
    {
        if (sequence != _nextSequence || !ledger.TryGet(sequence, out var batch))
        {
            return;
        }
        var reasonBytes = System.Text.Encoding.UTF8.GetBytes(reason);
        var line = 0;
        var held = _reorder.TryGet(sequence, out var pending) ? pending : null;
        foreach (var part in held?.PartsInOrder ?? [])
        {
            for (; line < part.Header.PartStart; line++)
            {
                output.WriteFailure(batch.FirstLine + line, reasonBytes);
            }
            Write(part);
            line = part.Header.PartStart + part.Header.PartCount;
        }
        for (; line < batch.LineCount; line++)
        {
            output.WriteFailure(batch.FirstLine + line, reasonBytes);
        }
        output.Commit();
        if (held is not null)
        {
            _reorder.Remove(sequence);
            held.Release();
        }
        Advance(batch);
        WriteHeldInTurn();
    }

    public void Dispose() => _checkpointing.Dispose();

    /// <summary>Called by the publisher once the whole file is cut.</summary>
    public void SetTotal(long batches)
    {
        lock (_lock)
        {
            _totalBatches = batches;
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
            if (time.GetElapsedTime(_lastCheckpoint) >= s_checkpointInterval && await TrySaveCheckpointAsync())
            {
                FaultInjection.Reach(FaultInjection.CollectorAfterCheckpoint);
            }
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (Exception ex)
        {
            MessagingActivities.Failed(ex);
            CollectorLog.HandlingFailed(logger, Queue, ex);
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
    /// Writes or holds one result. A write that fails (a full disk) leaves the output as it was; the result is held
    /// here, unacknowledged, and written again with backoff until it goes through, so the job pauses while the disk is
    /// full and goes on by itself when there is room. Past the longest pause the job fails and keeps its checkpoint.
    /// </summary>
    private async Task<string?> AcceptWhenWrittenAsync(BasicDeliverEventArgs delivery)
    {
        string? rejection = null;
        var admitted = false;
        long pausedAt = 0;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                lock (_lock)
                {
                    if (!admitted)
                    {
                        rejection = Admit(delivery.Body);
                        admitted = true;
                    }
                    WriteHeldInTurn();
                }
                if (attempt > 0)
                {
                    CollectorLog.WritingResumed(logger, job.Files.Name, time.GetElapsedTime(pausedAt).TotalSeconds);
                }
                return rejection;
            }
            catch (IOException ex)
            {
                if (attempt == 0)
                {
                    pausedAt = time.GetTimestamp();
                    CollectorLog.WritingPaused(logger, job.Files.Name, ex.Message, longestWritePause.TotalSeconds);
                }
                else if (time.GetElapsedTime(pausedAt) >= longestWritePause)
                {
                    var failure = new IOException(
                        $"'{job.Files.Output}' could not be written for {longestWritePause.TotalSeconds:0} s: {ex.Message}", ex);
                    _allWritten.TrySetException(failure);
                    throw failure;
                }
                var delay = TimeSpan.FromTicks(Math.Min(s_longestWriteRetry.Ticks, s_firstWriteRetry.Ticks << Math.Min(attempt, 8)));
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping, delivery.CancellationToken);
                await Task.Delay(delay, time, wait.Token);
            }
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
            CollectorLog.CheckpointDeferred(logger, job.Files.Name, ex.Message);
            return false;
        }
    }

    /// <summary>Flushes the output and records how far it is complete; false when nothing changed since the last one.</summary>
    public async Task<bool> SaveCheckpointAsync(CancellationToken cancellationToken)
    {
        // One at a time, in order: a later checkpoint is never overwritten by an earlier one, and the fingerprint
        // only moves forward.
        await _checkpointing.WaitAsync(cancellationToken);
        try
        {
            JobCheckpoint checkpoint;
            lock (_lock)
            {
                _lastCheckpoint = time.GetTimestamp();
                if (_checkpointedSequence == _nextSequence)
                {
                    return false;
                }
                _checkpointedSequence = _nextSequence;
                checkpoint = new JobCheckpoint(
                    JobCheckpoint.CurrentSchema, job.JobId, job.Files.InputPath, job.InputLength, job.InputLastWriteUtc,
                    job.Cut.BatchLines, job.Cut.BatchBytes, job.Cut.MaxLineBytes,
                    _nextSequence, _nextLine, _checkpointOffset, output.OutputLength, output.ErrorsLength, output.FailedLines,
                    job.StartedAt, job.TraceId, job.RootSpanId, _queue);
            }
            checkpoint = checkpoint with { InputFingerprint = fingerprint.Through(checkpoint.InputOffset) };
            await output.SaveCheckpointAsync(checkpoint, cancellationToken);
            return true;
        }
        finally
        {
            _checkpointing.Release();
        }
    }

    /// <summary>Writes or holds one result; returns a reason when the message must be dead-lettered.</summary>
    /// <exception cref="IOException">The result's batch could not be written; nothing of it was.</exception>
    private string? Admit(ReadOnlyMemory<byte> body)
    {
        LineResult result;
        try
        {
            result = LineResult.Decode(body, MaxResultLineBytes);
        }
        catch (MessageFormatException ex)
        {
            return "malformed result: " + ex.Message;
        }
        var header = result.Header;
        ProducerTracing.Result(header);
        if (header.JobId != job.JobId)
        {
            return Drop(header, "it names another job");
        }
        if (header.Sequence < _nextSequence)
        {
            CountDuplicate();
            return null;
        }
        if (header.Sequence >= _nextSequence + window)
        {
            return Drop(header, "it is beyond the window, so it was not published by this run");
        }
        if (!ledger.TryGet(header.Sequence, out var batch)
            || batch.FirstLine != header.FirstLine || batch.LineCount != header.BatchLineCount)
        {
            return Drop(header, "it does not match the batch this run published under that sequence");
        }
        try
        {
            if (header.Sequence == _nextSequence && header.IsWholeBatch)
            {
                Write(result);
                output.Commit();
                if (_reorder.TryGet(header.Sequence, out var parts))
                {
                    _reorder.Remove(header.Sequence);     // the whole result holds every part held of it
                    parts.Release();
                }
                Advance(batch);
            }
            else if (_reorder.HeldBytes + result.Body.Length > HeldByteBudget)
            {
                // Only forged or duplicated parts get here: the results of a window of batches fit. A real one dropped
                // comes again with the batch's retransmission.
                return Drop(header, "holding it would pass the reorder buffer's byte budget");
            }
            else if (_reorder.Add(result, MaxResultLineBytes))
            {
                ProducerTracing.Held(header.Sequence);
            }
            else
            {
                CountDuplicate();
            }
        }
        catch (MessageFormatException ex)
        {
            output.Discard();
            return "malformed result: " + ex.Message;
        }
        return null;
    }

    /// <summary>Writes the held batches whose turn has come; one that cannot be written stays held.</summary>
    private void WriteHeldInTurn()
    {
        while (_reorder.TryPeekComplete(_nextSequence, out var pending))
        {
            foreach (var part in pending.PartsInOrder)
            {
                Write(part);
            }
            output.Commit();
            _reorder.Remove(_nextSequence);
            pending.Release();
            ledger.TryGet(_nextSequence, out var completed);
            Advance(completed);
        }
    }

    private void CountDuplicate()
    {
        Duplicates++;
        ProducerMetrics.DuplicateDropped();
        ProducerTracing.Duplicate();
    }

    private string? Drop(BatchHeader header, string reason)
    {
        Dropped++;
        ProducerTracing.Dropped(reason);
        CollectorLog.Dropped(logger, header.JobId, header.Sequence, reason);
        MessagingMetrics.Dropped(QueueNames.ResultsPrefix + "*", reason);
        return null;
    }

    private void Write(LineResult result)
    {
        var firstLine = result.Header.PartFirstLine;
        for (var i = 0; i < result.Lines.Count; i++)
        {
            if (result.Lines[i].Flag == LineStatus.Ok)
            {
                output.WriteLine(result.LineBytes(i));
            }
            else
            {
                output.WriteFailure(firstLine + i, result.LineBytes(i));
            }
        }
    }

    private void Advance(BatchLedger.Entry batch)
    {
        ProducerMetrics.Written(time.GetElapsedTime(batch.PublishedAt));
        ProducerTracing.Written(batch.Sequence, batch.LineCount);
        _nextSequence++;
        _nextLine += batch.LineCount;
        _checkpointOffset = batch.EndOffset;
        var advanced = _advanced;
        _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        advanced.TrySetResult();
        BatchWritten?.Invoke();
        CompleteIfDone();
    }

    private void CompleteIfDone()
    {
        if (_totalBatches is { } total && _nextSequence >= total)
        {
            _allWritten.TrySetResult();
        }
    }

    private async Task DeadLetterAsync(BasicDeliverEventArgs delivery, string reason)
    {
        CollectorLog.DeadLettered(logger, Queue, reason);
        await DeadLetters.PublishAsync(publisher, delivery.Body, delivery.BasicProperties.ContentType, Queue, reason, CancellationToken.None);
    }
}
