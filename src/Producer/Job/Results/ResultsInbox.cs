using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Core;

namespace Streaming.Producer.Job.Results;

/// <summary>
/// Where the results of every job of this process come back (the design's "results queue of that producer"), and
/// everything about them that touches the broker: one quorum queue named for a guid of this process, one subscription,
/// acknowledgements, probes and dead letters, and moving to a fresh queue. Each result goes to the job its header names
/// (<see cref="JobRegistry"/>) and is acknowledged once it is written or held there (after a crash the producer
/// publishes again from the last checkpoint, so nothing past it needs to survive in the queue); one for a job that is
/// not registered (a late duplicate of a finished job) is acknowledged and dropped. A quorum queue the broker lost
/// while creating it (a kill -9 within a second of its declaration, seen on RabbitMQ 3.10) still exists but has no
/// leader and never answers again: no result would ever arrive and every job would wait forever. So while the
/// connection is open the inbox publishes an empty probe to the queue every few seconds; when it has not answered
/// several times in a row, the inbox moves to a fresh queue, subscribes to it, and has every running job publish
/// its batches still out again (<see cref="OnResultsMayBeLost"/>), since their results were going to the lost queue.
/// Deduplication absorbs any copy.
/// </summary>
internal sealed partial class ResultsInbox : IResultsAddress, IAsyncDisposable
{
    private static readonly TimeSpan s_probeInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_deleteTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_recoveryWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_recoveryPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a process whose connection is down when it ends waits for the client's recovery (it tries
    /// every 2 s) to delete its queues.</summary>
    public static readonly TimeSpan EndRecoveryWait = TimeSpan.FromSeconds(6);

    /// <summary>A process that loses this many queues has a broker problem no new queue solves; the rest expire by themselves.</summary>
    private const int MaxUndeletedQueues = 8;

    /// <summary>Fresh queues tried when subscribing keeps failing, before the process gives up.</summary>
    private const int QueuesTriedAtStart = 3;

    private readonly IConnection _connection;
    private readonly ConfirmingPublisher _publisher;

    /// <summary>The pipeline this process publishes to: a dead letter from its results queue names it.</summary>
    private readonly PipelineQueues _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly JobRegistry _jobs = new();
    private readonly ResultsLossSignal _lost = new();
    private readonly TimeSpan _expiry;
    private readonly TimeSpan _endRecoveryWait;
    private readonly Lock _lock = new();
    private readonly List<string> _undeleted = [];
    private readonly HashSet<string> _forgotten = new(StringComparer.Ordinal);
    private readonly List<Task> _forgetting = [];
    private readonly CancellationTokenSource _stopping = new();
    private ResultsSubscription _current;

    /// <summary>Read at every publish and checkpoint of every job, written only when the inbox moves: a field, not a lock.</summary>
    private volatile string _queue;
    private ReorderBudget? _heldResults;
    private Task _watching = Task.CompletedTask;

    /// <param name="expiry">How long each of its queues outlives the process (their <c>x-expires</c>).</param>
    /// <param name="endRecoveryWait">Default <see cref="EndRecoveryWait"/>; a test on a loaded machine, whose client's
    /// recovery may take longer, gives more.</param>
    public ResultsInbox(
        IConnection connection, ConfirmingPublisher publisher, PipelineQueues pipeline, TimeSpan expiry, TimeProvider time, ILogger logger,
        TimeSpan? endRecoveryWait = null)
    {
        _endRecoveryWait = endRecoveryWait ?? EndRecoveryWait;
        _expiry = expiry;
        _connection = connection;
        _publisher = publisher;
        _pipeline = pipeline;
        _time = time;
        _logger = logger;
        _queue = QueueNames.ResultsQueue(Guid.NewGuid());
        _current = Subscribe(_queue);
    }

    /// <summary>The queue the batches of this process answer to now: each job reads it when it publishes a batch and when
    /// it saves a checkpoint, so a move reaches every job, whenever it registered.</summary>
    public string Queue => _queue;

    /// <summary>Calls <paramref name="onLost"/> (a job's retransmitter) whenever the results of the batches still out may
    /// be lost (the queue was declared again, or given up for a fresh one), until the returned listener is disposed.</summary>
    public IDisposable OnResultsMayBeLost(Action onLost) => _lost.Listen(onLost);

    /// <summary>Results dropped because their job was finished (or not of this process).</summary>
    public long Unclaimed => _jobs.Unclaimed;

    /// <summary>Declares the queue and subscribes to it, then watches it until disposed. A queue that still cannot be
    /// consumed after the subscription's own retries (one that the broker lost while creating it) is left for a fresh
    /// one.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var tried = 1; ; tried++)
        {
            try
            {
                await _current.StartAsync(cancellationToken);
                break;
            }
            catch (TimeoutException ex) when (tried < QueuesTriedAtStart && !cancellationToken.IsCancellationRequested)
            {
                var lost = _current.Queue;
                await _current.DisposeAsync();
                var fresh = QueueNames.ResultsQueue(Guid.NewGuid());
                _current = Subscribe(fresh);
                _queue = fresh;
                CollectorLog.StartedOnFreshQueue(_logger, lost, ex.Message, fresh);
                // Deleting the lost queue fails the broker's channels whose probes still wait on it, and with them the
                // connection (541): the fresh queue is subscribed once the connection is back.
                await ForgetLostAsync(lost, cancellationToken);
                await WaitUntilOpenAsync(s_recoveryWait, cancellationToken);
            }
        }
        CollectorLog.Receiving(_logger, _current.Queue);
        _watching = WatchAsync(_stopping.Token);
    }

    /// <summary>The one budget of the bytes held for reordering by every job of this process, made with the first job's
    /// <paramref name="capacity"/> (the jobs of a process share their options).</summary>
    public ReorderBudget HeldResults(long capacity)
    {
        lock (_lock)
        {
            return _heldResults ??= new ReorderBudget(capacity);
        }
    }

    /// <summary>From now until the registration is ended, the results of <paramref name="jobId"/> go to
    /// <paramref name="handler"/>.</summary>
    public JobRegistry.Registration Register(Guid jobId, IResultsHandler handler) => _jobs.Register(jobId, handler);

    /// <summary>Deletes, in the background and at most once, a queue no run answers to any more: one named by a
    /// checkpoint of a process that is gone (its batches are published again from the checkpoint, to this process's
    /// queue), or by a checkpoint that was discarded. This process's own queue is never deleted here.</summary>
    public void ForgetQueue(string queue)
    {
        lock (_lock)
        {
            if (queue == _queue || !_forgotten.Add(queue))
            {
                return;
            }
            _forgetting.RemoveAll(t => t.IsCompleted);
            _forgetting.Add(ForgetLostAsync(queue, _stopping.Token));
        }
    }

    /// <summary>Stops watching and consuming, and deletes this process's queue and the ones given up on: every job of
    /// the process is over (or keeps its checkpoint, and its next run publishes from it again), so whatever still comes
    /// is not needed. Never throws; a queue that cannot be deleted expires by itself.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _watching;
        Task[] forgetting;
        lock (_lock)
        {
            forgetting = [.. _forgetting];
        }
        await Task.WhenAll(forgetting);
        await _current.DisposeAsync();
        var queue = _current.Queue;
        // A job can end while the connection is down (its last results came before the drop). Left there, its queue
        // would keep the duplicates of batches redelivered meanwhile until it expires: a blip is waited out. A broker
        // that stays away is not, and the queues expire by themselves.
        await WaitUntilOpenAsync(_endRecoveryWait, CancellationToken.None);
        if (_connection.IsOpen)
        {
            using var deadline = new CancellationTokenSource(s_deleteTimeout);
            foreach (var left in _undeleted.Prepend(queue))
            {
                await TryDeleteAsync(left, deadline.Token);
            }
        }
        if (_jobs.Unclaimed > 0)
        {
            CollectorLog.UnclaimedResults(_logger, _jobs.Unclaimed, queue);
        }
        _stopping.Dispose();
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var unanswered = new UnansweredProbes();
        try
        {
            while (true)
            {
                await Task.Delay(s_probeInterval, _time, cancellationToken);
                if (!_connection.IsOpen)
                {
                    unanswered.ConnectionClosed();
                    continue;
                }
                var answered = await ResultsQueueProbe.AnswersAsync(_connection, _current.Queue, cancellationToken);
                if (unanswered.ShouldMove(answered) && await TryMoveAsync(cancellationToken))
                {
                    unanswered.Moved();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The process is done with its jobs.
        }
    }

    private async Task<bool> TryMoveAsync(CancellationToken cancellationToken)
    {
        var lost = _current.Queue;
        var fresh = QueueNames.ResultsQueue(Guid.NewGuid());
        var subscription = Subscribe(fresh);
        try
        {
            await subscription.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            await subscription.DisposeAsync();
            CollectorLog.MoveFailed(_logger, lost, ex.Message);
            return false;
        }
        // Before the loss is raised: the batches it has published again answer to the fresh queue.
        _queue = fresh;
        var left = _current;
        _current = subscription;
        CollectorLog.MovedToFreshQueue(_logger, lost, fresh, UnansweredProbes.BeforeMoving, _jobs.Count);
        _lost.Raise();
        // Stopped first, or it would declare the queue again once it is deleted. Deleting it matters to the consumers:
        // a result for a deleted queue comes back unroutable at once, one for a leaderless queue waits out a timeout.
        await left.DisposeAsync();
        await ForgetLostAsync(lost, cancellationToken);
        return true;
    }

    private async Task WaitUntilOpenAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (!_connection.IsOpen && _time.GetElapsedTime(started) < limit)
        {
            await Task.Delay(s_recoveryPoll, _time, cancellationToken);
        }
    }

    /// <summary>Deletes a queue given up on; one that cannot be deleted now is tried again when the inbox is disposed.</summary>
    private async Task ForgetLostAsync(string lost, CancellationToken cancellationToken)
    {
        if (!await TryDeleteAsync(lost, cancellationToken))
        {
            lock (_lock)
            {
                if (_undeleted.Count < MaxUndeletedQueues)
                {
                    _undeleted.Add(lost);
                }
            }
        }
    }

    private async Task<bool> TryDeleteAsync(string queue, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_deleteTimeout);
        try
        {
            await ResultsSubscription.DeleteQueueAsync(_connection, queue, timeout.Token);
            return true;
        }
        catch (Exception ex)
        {
            CollectorLog.LostResultsQueueLeft(_logger, queue, ex.Message);
            return false;
        }
    }

    private ResultsSubscription Subscribe(string queue) =>
        new(_connection, queue, _expiry, brandNew: true, HandleAsync, _logger, _lost.Raise);
}
