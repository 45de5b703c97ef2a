using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Results;

/// <summary>
/// Where a job's results come back, and everything about them that touches the broker: the results queue and the
/// subscription to it, acknowledgements, probes and dead letters, and moving to a fresh queue. Each result goes to the
/// job's <see cref="IResultsHandler"/> and is acknowledged once it is written or held there (after a crash the producer
/// publishes again from the last checkpoint, so nothing past it needs to survive in the queue). A quorum queue
/// the broker lost while creating it (a kill -9 within a second of its declaration, seen on RabbitMQ 3.10) still exists
/// but has no leader and never answers again: no result would ever arrive and the job would wait forever. So while the
/// connection is open the inbox publishes an empty probe to the queue every few seconds; when it has not
/// answered several times in a row, the inbox moves the job to a fresh queue, subscribes to it, and has the batches
/// still out published again, since their results were going to the lost queue. Deduplication absorbs any copy.
/// </summary>
internal sealed partial class ResultsInbox : IAsyncDisposable
{
    private static readonly TimeSpan s_probeInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_deleteTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_recoveryWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_recoveryPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>A job that loses this many queues has a broker problem no new queue solves; the rest expire by themselves.</summary>
    private const int MaxUndeletedQueues = 8;

    private readonly IConnection _connection;
    private readonly IResultsHandler _handler;
    private readonly ConfirmingPublisher _publisher;
    private readonly JobFiles _files;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<string> _undeleted = [];
    private ResultsSubscription _current;

    /// <param name="resuming">The queue may have been declared by a run before this one (it is probed before it is consumed).</param>
    public ResultsInbox(
        IConnection connection, IResultsHandler handler, ConfirmingPublisher publisher, bool resuming, JobFiles files, TimeProvider time,
        ILogger logger)
    {
        _connection = connection;
        _handler = handler;
        _publisher = publisher;
        _files = files;
        _time = time;
        _logger = logger;
        _current = Subscribe(handler.ResultsQueue, brandNew: !resuming);
    }

    /// <summary>Fresh queues tried when subscribing keeps failing, before the job gives up.</summary>
    private const int QueuesTriedAtStart = 3;

    /// <summary>Subscribes; a queue that still cannot be consumed after the subscription's own retries (one that the
    /// broker lost while creating it) is left for a fresh one. Nothing is published yet, so nothing is out.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var tried = 1; ; tried++)
        {
            try
            {
                await _current.StartAsync(cancellationToken);
                return;
            }
            catch (TimeoutException ex) when (tried < QueuesTriedAtStart && !cancellationToken.IsCancellationRequested)
            {
                var lost = _current.Queue;
                await _current.DisposeAsync();
                var fresh = QueueNames.ResultsFor(Guid.NewGuid());
                _current = Subscribe(fresh, brandNew: true);
                _handler.MovedTo(fresh);
                CollectorLog.StartedOnFreshQueue(_logger, _files.Name, lost, ex.Message, fresh);
                // Deleting the lost queue fails the broker's channels whose probes still wait on it, and with them the
                // connection (541): the fresh queue is subscribed once the connection is back.
                await ForgetAsync(lost, cancellationToken);
                await WaitUntilOpenAsync(cancellationToken);
            }
        }
    }

    /// <summary>Watches the queue until cancelled (the job is over).</summary>
    public async Task WatchAsync(CancellationToken cancellationToken)
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
            // The job is over.
        }
    }

    /// <summary>Stops consuming: every result is written.</summary>
    public async Task StopAsync()
    {
        await _current.StopAsync();
    }

    /// <summary>Deletes the queues given up on that could not be deleted when they were left (the current one is
    /// deleted by the caller, retried like a publish).</summary>
    public async Task DeleteLostQueuesAsync(CancellationToken cancellationToken)
    {
        foreach (var lost in _undeleted)
        {
            await TryDeleteAsync(lost, cancellationToken);
        }
    }

    /// <summary>Deletes a queue no run answers to any more (a checkpoint's that was not resumed); one that cannot be
    /// deleted now is tried again with the lost ones when the job ends, and expires by itself otherwise.</summary>
    public Task ForgetQueueAsync(string queue, CancellationToken cancellationToken) => ForgetAsync(queue, cancellationToken);

    public Task DeleteCurrentQueueAsync(CancellationToken cancellationToken) => _current.DeleteQueueAsync(cancellationToken);

    public ValueTask DisposeAsync() => _current.DisposeAsync();

    private async Task<bool> TryMoveAsync(CancellationToken cancellationToken)
    {
        var lost = _current.Queue;
        var fresh = QueueNames.ResultsFor(Guid.NewGuid());
        var subscription = Subscribe(fresh, brandNew: true);
        try
        {
            await subscription.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            await subscription.DisposeAsync();
            CollectorLog.MoveFailed(_logger, _files.Name, lost, ex.Message);
            return false;
        }
        _handler.MovedTo(fresh);
        var left = _current;
        _current = subscription;
        CollectorLog.MovedToFreshQueue(_logger, _files.Name, lost, fresh, UnansweredProbes.BeforeMoving);
        _handler.ResultsMayBeLost();
        // Stopped first, or it would declare the queue again once it is deleted. Deleting it matters to the consumers:
        // a result for a deleted queue comes back unroutable at once, one for a leaderless queue waits out a timeout.
        await left.DisposeAsync();
        await ForgetAsync(lost, cancellationToken);
        return true;
    }

    private async Task WaitUntilOpenAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (!_connection.IsOpen && _time.GetElapsedTime(started) < s_recoveryWait)
        {
            await Task.Delay(s_recoveryPoll, _time, cancellationToken);
        }
    }

    private async Task ForgetAsync(string lost, CancellationToken cancellationToken)
    {
        if (!await TryDeleteAsync(lost, cancellationToken) && _undeleted.Count < MaxUndeletedQueues)
        {
            _undeleted.Add(lost);
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
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            CollectorLog.LostResultsQueueLeft(_logger, _files.Name, queue, ex.Message);
            return false;
        }
    }

    private ResultsSubscription Subscribe(string queue, bool brandNew) =>
        new(_connection, queue, brandNew, HandleAsync, _logger, _handler.ResultsMayBeLost);
}
