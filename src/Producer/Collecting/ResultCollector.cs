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
    ILogger logger)
{
    /// <summary>Output lines may be longer than input lines; a message cannot exceed the broker's 16 MiB anyway.</summary>
    private const int MaxResultLineBytes = 16 * 1024 * 1024;
    private static readonly TimeSpan s_checkpointInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly ReorderBuffer _reorder = new();
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
            string? rejection;
            lock (_lock)
            {
                rejection = Accept(delivery.Body);
            }
            if (rejection is not null)
            {
                await DeadLetterAsync(delivery, rejection);
            }
            FaultInjection.Reach(FaultInjection.CollectorAfterWrite);
            if (time.GetElapsedTime(_lastCheckpoint) >= s_checkpointInterval && await SaveCheckpointAsync(CancellationToken.None))
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

    /// <summary>Flushes the output and records how far it is complete; false when nothing changed since the last one.</summary>
    public async Task<bool> SaveCheckpointAsync(CancellationToken cancellationToken)
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
        await output.SaveCheckpointAsync(checkpoint, cancellationToken);
        return true;
    }

    /// <summary>Writes or holds one result; returns a reason when the message must be dead-lettered.</summary>
    private string? Accept(ReadOnlyMemory<byte> body)
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
            if (header.Sequence == _nextSequence && header.IsWholeBatch && !_reorder.Contains(header.Sequence))
            {
                Write(result);
                Advance(batch);
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
            return "malformed result: " + ex.Message;
        }
        while (_reorder.TryTakeComplete(_nextSequence, out var pending))
        {
            foreach (var part in pending.PartsInOrder)
            {
                Write(part);
            }
            pending.Release();
            ledger.TryGet(_nextSequence, out var completed);
            Advance(completed);
        }
        return null;
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
