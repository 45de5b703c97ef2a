using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Consuming;
using Streaming.Messaging.Topology;

namespace Streaming.Producer.Job.Results;

/// <summary>
/// The inbox's consumer on the results queue of this process: one delivery at a time. If the broker cancels it (the queue
/// was deleted) or closes its channel, it declares the queue again, subscribes again and calls
/// <c>resultsMayBeLost</c>: whatever the queue held is gone, so the producer publishes the missing batches again.
/// </summary>
internal sealed class ResultsSubscription : IAsyncDisposable
{
    /// <summary>Results delivered and not yet handled wait in the broker client's memory, each in a pooled buffer as large
    /// as its batch (up to about 1 MiB), and the shared array pool keeps every buffer it lent at once for the process's
    /// life. The handler takes one at a time, so a few keep it busy; 256 let a stall pile up a window's worth, which a 1 GB
    /// file's producer then kept: 32 idle 2 MiB buffers, 67 MB (bench/NOTEBOOK.md).</summary>
    private const ushort Prefetch = 8;

    /// <summary>Few: a results queue that does not answer is left for a fresh one (<see cref="ResultsInbox"/>).</summary>
    private const int StartAttempts = 3;

    private readonly IConnection _connection;
    private readonly string _queue;
    private readonly TimeSpan _expiry;
    private readonly SupervisedSubscription _subscription;
    private bool _probeBeforeConsuming;

    /// <param name="brandNew">The queue is declared here for the first time: see <see cref="DeclareAsync"/>.</param>
    /// <param name="expiry">How long the queue outlives its last consumer (its <c>x-expires</c>).</param>
    public ResultsSubscription(
        IConnection connection, string queue, TimeSpan expiry, bool brandNew, Func<IChannel, BasicDeliverEventArgs, Task> handle,
        ILogger logger, Action resultsMayBeLost)
    {
        _connection = connection;
        _queue = queue;
        _expiry = expiry;
        _probeBeforeConsuming = !brandNew;
        _subscription = new SupervisedSubscription(
            connection, queue, Prefetch, dispatchConcurrency: 1, DeclareAsync, handle, logger, resultsMayBeLost, StartAttempts);
    }

    public string Queue => _queue;

    public Task StartAsync(CancellationToken cancellationToken) => _subscription.StartAsync(cancellationToken);

    /// <summary>Stops consuming: every result is written, whatever comes later is a duplicate.</summary>
    public Task StopAsync() => _subscription.CancelAsync();

    public static async Task DeleteQueueAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
        await channel.CloseAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _subscription.DisposeAsync();

    /// <summary>A queue declared for the first time cannot have lost its leader unless the broker went down since,
    /// which takes the connection and this attempt with it: its first consume goes without the probe's round trip,
    /// which every file's latency would pay. Every later attempt, and any queue declared before, is probed first.</summary>
    private async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        if (_probeBeforeConsuming)
        {
            await ResultsQueueProbe.DeclareAnsweringAsync(_connection, channel, _queue, _expiry, cancellationToken);
            return;
        }
        _probeBeforeConsuming = true;
        await StreamingTopology.DeclareResultsQueueAsync(channel, _queue, _expiry, cancellationToken);
    }
}
