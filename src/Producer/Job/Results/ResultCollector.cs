using Microsoft.Extensions.Logging;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Diagnostics;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job.Results;

/// <summary>
/// Feeds one job's results into its <see cref="JobState"/> (which orders, deduplicates and writes) from the results
/// inbox, one at a time under a lock, and does what the core leaves out: pausing while the output cannot be written,
/// saving checkpoints (the output flushed first), telemetry, and telling the job when every batch is written. A
/// checkpoint is saved when the job advanced since the last one, or when the results queue (read from the inbox at
/// each save) is not the one the last one named: after a move to a fresh queue, and for a job resumed from another
/// process's checkpoint, before its first publish.
/// </summary>
/// <remarks>
/// The inbox serves every job of the process one result at a time, so a result is never waited on here: while this
/// job's output cannot be written (a full disk, an immutable file: <see cref="StorageFault"/>), its results are held
/// (within the process's <see cref="ReorderBudget"/>, the one it needs next always) and acknowledged, and one task of
/// its own writes them again with backoff until the output takes them, so the other jobs' results go on meanwhile.
/// </remarks>
internal sealed class ResultCollector : IResultsHandler, ITrackedFile, IAsyncDisposable
{
    /// <summary>The checkpoint interval unless the job is given one (<c>Producer:CheckpointMilliseconds</c>).</summary>
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan s_firstWriteRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_longestWriteRetry = TimeSpan.FromSeconds(2);

    private readonly JobFiles _files;
    private readonly JobState _state;
    private readonly ICollectedOutput _output;
    private readonly InputFingerprint? _fingerprint;
    private readonly IResultsAddress _results;
    private readonly TimeSpan _longestWritePause;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _checkpointing = new(1, 1);
    private readonly TaskCompletionSource _allWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _ending;
    private readonly PublishWatermark? _watermark;
    private readonly TimeSpan _checkpointInterval;
    private Task _resuming = Task.CompletedTask;
    private bool _paused;
    private bool _checkpointDeferred;
    private bool _finalCheckpointTaken;
    private long _lastCheckpoint;

    /// <summary>What the last checkpoint saved says; both only touched inside <see cref="_checkpointing"/>.</summary>
    private long _checkpointedSequence;
    private string? _checkpointedQueue;

    /// <param name="fingerprint">The input's fingerprint for the checkpoints; null for a job that keeps none (standard
    /// input: nothing to resume from).</param>
    /// <param name="resumedFrom">The checkpoint the job resumed from (no need to save it again while it still holds), or null.</param>
    /// <param name="results">Where the job's batches answer to now: each checkpoint names it.</param>
    /// <param name="longestWritePause">How long the output may refuse writes before the job fails.</param>
    /// <param name="stopping">Ends a pause early: the job is abandoned.</param>
    /// <param name="watermark">The job's publish watermark, kept on disk from its first checkpoint on; null for none.</param>
    /// <param name="checkpointInterval">How often a checkpoint is saved, and how long before the first;
    /// <see cref="DefaultCheckpointInterval"/> if null.</param>
    public ResultCollector(
        JobState state, ICollectedOutput output, InputFingerprint? fingerprint, JobCheckpoint? resumedFrom, IResultsAddress results,
        TimeSpan longestWritePause, JobContext context, CancellationToken stopping, PublishWatermark? watermark = null,
        TimeSpan? checkpointInterval = null)
    {
        _watermark = watermark;
        _checkpointInterval = checkpointInterval ?? DefaultCheckpointInterval;
        _files = context.Files;
        _state = state;
        _output = output;
        _fingerprint = fingerprint;
        _results = results;
        _longestWritePause = longestWritePause;
        _time = context.Time;
        _logger = context.Logger;
        _stopping = stopping;
        _ending = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _state.BatchWritten += OnBatchWritten;
        _checkpointedSequence = resumedFrom?.NextSequence ?? -1;
        _checkpointedQueue = resumedFrom?.AnsweredTo();
        _lastCheckpoint = _time.GetTimestamp();
    }

    public long NextSequence
    {
        get
        {
            lock (_lock)
            {
                return _state.NextSequence;
            }
        }
    }

    public long LinesWritten => _state.NextLine - 1;

    public long InputOffsetWritten => _state.InputOffsetWritten;

    public long FailedLines => _output.FailedLines;

    public long Duplicates => _state.Duplicates;

    public long Dropped => _state.Dropped;

    public int Buffered => _state.Held;

    /// <summary>True while the output refuses writes and the job's results are held until it takes them: no result is
    /// missing then, so the batches out are not to be published again (the <c>Retransmitter</c>).</summary>
    public bool WritePaused
    {
        get
        {
            lock (_lock)
            {
                return _paused;
            }
        }
    }

    /// <summary>Completes when every batch up to the total is on disk.</summary>
    public Task AllWritten => _allWritten.Task;

    /// <summary>Raised when results of the batches still out were lost to the reorder budget (the job has come to one
    /// it refused): they are to be published again now. The results queue's own losses reach the retransmitter from the
    /// inbox.</summary>
    public event Action? ResultsLost;

    private void ResultsMayBeLost() => ResultsLost?.Invoke();

    /// <summary>
    /// Gives up on batch <paramref name="sequence"/> when it is the next one to write (<see cref="JobState.FailBatch"/>).
    /// False when it could not be written now (a full disk): nothing changed, the job pauses like for any write the output
    /// refuses, and it may be tried again.
    /// </summary>
    public bool TryFailBatch(long sequence, string reason)
    {
        lock (_lock)
        {
            var next = _state.NextSequence;
            try
            {
                _state.FailBatch(sequence, System.Text.Encoding.UTF8.GetBytes(reason));
                return true;
            }
            catch (Exception ex) when (StorageFault.Is(ex))
            {
                if (!_paused)
                {
                    Pause(ex);      // the batches held after it wait for the output like any others
                }
                return _state.NextSequence != next;
            }
        }
    }

    /// <summary>Ends a pause (the job is over, whatever became of it) and gives what it holds back to the budget.</summary>
    public async ValueTask DisposeAsync()
    {
        await _ending.CancelAsync();
        await _resuming;
        lock (_lock)
        {
            _state.ReleaseHeld();
        }
        _ending.Dispose();
        _checkpointing.Dispose();
    }

    /// <summary>Called by the publisher once the whole file is cut.</summary>
    public void SetTotal(long batches)
    {
        lock (_lock)
        {
            _state.SetTotal(batches);
            CompleteIfDone();
        }
    }

    /// <summary>
    /// Writes or holds one result; returns a reason when it must be dead-lettered. Never waits for the output: a write that
    /// fails (a full disk) leaves the output as it was and the result held, and starts a pause (<see cref="ResumeAsync"/>)
    /// in which the job's results are only held, until the output takes them again. Past the longest pause the job fails
    /// and keeps its checkpoint.
    /// </summary>
    public Task<string?> AcceptAsync(LineResult result, CancellationToken deliveryCancelled)
    {
        ProducerTracing.Result(result.Header);
        AcceptOutcome outcome;
        bool resend;
        lock (_lock)
        {
            if (_paused)
            {
                outcome = _state.Hold(result);
            }
            else
            {
                try
                {
                    outcome = _state.Accept(result);
                }
                catch (Exception ex) when (StorageFault.Is(ex))
                {
                    outcome = AcceptOutcome.Held;
                    Pause(ex);
                }
            }
            resend = _state.TakeResendNeeded();
        }
        if (resend)
        {
            ResultsMayBeLost();
        }
        return Task.FromResult(Report(result.Header, outcome));
    }

    /// <summary>One result from the inbox: <see cref="AcceptAsync"/>, then a checkpoint when one is due, both before the
    /// result is acknowledged.</summary>
    public async Task<string?> HandleAsync(LineResult result, CancellationToken deliveryCancelled)
    {
        var rejection = await AcceptAsync(result, deliveryCancelled);
        FaultInjection.Reach(FaultInjection.CollectorAfterWrite);
        if (await CheckpointIfDueAsync())
        {
            FaultInjection.Reach(FaultInjection.CollectorAfterCheckpoint);
        }
        return rejection;
    }

    /// <summary>Saves a checkpoint once the job has run for the checkpoint interval, should no result have saved one by
    /// then (no consumer yet, or slow ones). None is saved before: a job that ends within its first interval (a small
    /// file) never writes one, and one killed before then starts over under a new id, that much work done again.
    /// Ends when <paramref name="cancellationToken"/> does.</summary>
    public async Task SaveFirstCheckpointWhenDueAsync(CancellationToken cancellationToken)
    {
        // Most small files end within the interval and cancel this wait: without an exception each (see RemovalWatch).
        await Task.Delay(_checkpointInterval, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        await TrySaveCheckpointAsync();
    }

    private async Task<bool> CheckpointIfDueAsync() =>
        _time.GetElapsedTime(_lastCheckpoint) >= _checkpointInterval && await TrySaveCheckpointAsync();

    /// <summary>Flushes the output and records how far it is complete, and the results queue of the moment; false when
    /// neither changed since the last one, or the checkpoints have ended (<see cref="EndCheckpointsAsync"/>).</summary>
    public Task<bool> SaveCheckpointAsync(CancellationToken cancellationToken) => SaveCheckpointAsync(final: false, cancellationToken);

    /// <summary>Once every save under way has landed (a result handler's could otherwise land after the completed job
    /// deleted the checkpoint, and leave it behind), ends the checkpoints: none is saved after this. The input is checked
    /// once more against what was published (<see cref="InputShrankException"/>), but no checkpoint is written: the
    /// outputs are made final next, and a crash before that resumes from the last one, whose lines are published
    /// again. For a small file that saves a third of the disk's work (a file created, synced and deleted, three fsyncs).</summary>
    public Task EndCheckpointsAsync(CancellationToken cancellationToken) => SaveCheckpointAsync(final: true, cancellationToken);

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

    /// <summary>Under the lock: the output refused a write; holds the job's results from now on, and starts the one task
    /// that writes them again.</summary>
    private void Pause(Exception fault)
    {
        _paused = true;
        CollectorLog.WritingPaused(_logger, _files.Name, fault.Message, _longestWritePause.TotalSeconds);
        _resuming = Task.WhenAll(_resuming, ResumeAsync(_ending.Token));     // the last pause's task may still be returning
    }

    /// <summary>Writes what is held again with backoff until the output takes it, then ends the pause; past the longest
    /// pause without a batch written the job fails (and keeps its checkpoint).</summary>
    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        var pausedAt = _time.GetTimestamp();
        var progressAt = pausedAt;
        var writtenThrough = _state.NextSequence;       // under the lock: called by Pause
        for (var attempt = 0; ; attempt++)
        {
            var delay = TimeSpan.FromTicks(Math.Min(s_longestWriteRetry.Ticks, s_firstWriteRetry.Ticks << Math.Min(attempt, 8)));
            try
            {
                await Task.Delay(delay, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;     // the job is over
            }
            bool resend;
            try
            {
                resend = WriteHeldAndEndPause();
            }
            catch (Exception ex) when (StorageFault.Is(ex))
            {
                lock (_lock)
                {
                    if (_state.NextSequence != writtenThrough)
                    {
                        (writtenThrough, progressAt) = (_state.NextSequence, _time.GetTimestamp());    // some room: not stuck
                    }
                }
                if (_time.GetElapsedTime(progressAt) < _longestWritePause)
                {
                    continue;
                }
                _allWritten.TrySetException(new IOException(
                    $"'{_files.Output}' could not be written for {_longestWritePause.TotalSeconds:0} s: {ex.Message}", ex));
                return;
            }
            catch (Exception ex)
            {
                _allWritten.TrySetException(ex);
                return;
            }
            CollectorLog.WritingResumed(_logger, _files.Name, _time.GetElapsedTime(pausedAt).TotalSeconds);
            if (resend)
            {
                ResultsMayBeLost();
            }
            return;
        }
    }

    /// <summary>Writes what is held, in turn, and ends the pause; true when a result may have been lost meanwhile.</summary>
    /// <exception cref="IOException">The output still refuses the write (or anything else <see cref="StorageFault.Is"/> names).</exception>
    private bool WriteHeldAndEndPause()
    {
        lock (_lock)
        {
            _state.WriteHeldInTurn();
            _paused = false;
            return _state.TakeResendNeeded();
        }
    }

    /// <summary>A checkpoint that cannot be written now (a full disk) is only late: the next result tries again, and the
    /// log says so once until one is written. One that can never be taken (the input shrank) fails the job through
    /// <see cref="AllWritten"/>, not the result.</summary>
    private async Task<bool> TrySaveCheckpointAsync()
    {
        try
        {
            var saved = await SaveCheckpointAsync(CancellationToken.None);
            _checkpointDeferred = false;
            return saved;
        }
        catch (InputShrankException)
        {
            return false;
        }
        catch (Exception ex) when (StorageFault.Is(ex))
        {
            if (!_checkpointDeferred)
            {
                _checkpointDeferred = true;
                CollectorLog.CheckpointDeferred(_logger, _files.Name, ex.Message);
            }
            return false;
        }
    }

    private async Task<bool> SaveCheckpointAsync(bool final, CancellationToken cancellationToken)
    {
        // One at a time, in order: a later checkpoint is never overwritten by an earlier one, and the fingerprint
        // only moves forward.
        await _checkpointing.WaitAsync(cancellationToken);
        try
        {
            var queue = _results.Queue;
            JobCheckpoint checkpoint;
            lock (_lock)
            {
                _lastCheckpoint = _time.GetTimestamp();
                if (_fingerprint is null || _finalCheckpointTaken || _allWritten.Task.IsFaulted)
                {
                    return false;
                }
                _finalCheckpointTaken = final;
                if (_checkpointedSequence == _state.NextSequence && _checkpointedQueue == queue)
                {
                    return false;
                }
                checkpoint = _state.Snapshot();
            }
            try
            {
                checkpoint = checkpoint with
                {
                    ResultsQueue = queue,
                    InputFingerprint = _fingerprint.Through(checkpoint.InputOffset),
                    InputCompressedOffset = _fingerprint.CompressedThrough,
                };
            }
            catch (InputShrankException ex)
            {
                // No checkpoint can vouch for this output any more: the job fails, once, with the reason.
                _allWritten.TrySetException(ex);
                throw;
            }
            if (final)
            {
                return false;
            }
            await WriteCheckpointAsync(checkpoint, cancellationToken);
            // Only once it is saved: one that could not be (a full disk) is tried again by the next result.
            (_checkpointedSequence, _checkpointedQueue) = (checkpoint.NextSequence, queue);
            return true;
        }
        finally
        {
            _checkpointing.Release();
        }
    }

    /// <summary>The outputs the checkpoint vouches for are flushed first, and the watermark a run resumed from it reads is
    /// on disk.</summary>
    private async Task WriteCheckpointAsync(JobCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        _output.Flush();
        _watermark?.Keep();
        await CheckpointStore.SaveAsync(_files, checkpoint, cancellationToken);
    }

    private void OnBatchWritten(BatchLedger.Entry batch)
    {
        ProducerMetrics.Written(_time.GetElapsedTime(batch.PublishedAt));
        ProducerTracing.Written(batch.Sequence, batch.LineCount);
        CompleteIfDone();
    }

    private void CompleteIfDone()
    {
        if (_state.AllWritten)
        {
            _allWritten.TrySetResult();
        }
    }
}
