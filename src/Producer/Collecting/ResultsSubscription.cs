using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Streaming.Messaging.Consuming;

namespace Streaming.Producer.Collecting;

/// <summary>
/// The collector's consumer on its job's results queue: one delivery at a time. If the broker cancels it (the queue
/// was deleted) or closes its channel, it declares the queue again, subscribes again and calls
/// <paramref name="resultsMayBeLost"/>: whatever the queue held is gone, so the producer publishes the missing batches again.
/// </summary>
internal sealed class ResultsSubscription(
    IConnection connection, string queue, ResultCollector collector, ILogger logger, Action resultsMayBeLost)
    : IAsyncDisposable
{
    private const ushort Prefetch = 256;

    /// <summary>Few: a results queue that does not answer is left for a fresh one (<see cref="ResultsRoute"/>).</summary>
    private const int StartAttempts = 3;

    private readonly SupervisedSubscription _subscription = new(
        connection, queue, Prefetch, dispatchConcurrency: 1,
        (channel, ct) => ResultsQueueProbe.DeclareAnsweringAsync(connection, channel, queue, ct),
        collector.HandleAsync, logger, resultsMayBeLost, StartAttempts);

    public string Queue => queue;

    public Task StartAsync(CancellationToken cancellationToken) => _subscription.StartAsync(cancellationToken);

    /// <summary>Stops consuming: every result is written, whatever comes later is a duplicate.</summary>
    public Task StopAsync() => _subscription.CancelAsync();

    /// <summary>Deletes the queue once the job is complete (after its outputs are final: a file's latency does not
    /// include it); late duplicates are not needed.</summary>
    public Task DeleteQueueAsync(CancellationToken cancellationToken) => DeleteQueueAsync(connection, queue, cancellationToken);

    public static async Task DeleteQueueAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
        await channel.CloseAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _subscription.DisposeAsync();
}
