using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Topology;

namespace Streaming.Producer.Collecting;

/// <summary>The collector's consumer on its job's results queue: one channel, one delivery at a time.</summary>
internal sealed class ResultsSubscription : IAsyncDisposable
{
    private const ushort Prefetch = 256;

    private readonly IChannel _channel;
    private readonly string _queue;
    private string? _consumerTag;

    private ResultsSubscription(IChannel channel, string queue)
    {
        _channel = channel;
        _queue = queue;
    }

    public static async Task<ResultsSubscription> StartAsync(
        IConnection connection, ResultCollector collector, CancellationToken cancellationToken)
    {
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(false, false, consumerDispatchConcurrency: 1), cancellationToken);
        var subscription = new ResultsSubscription(channel, collector.Queue);
        await StreamingTopology.DeclareResultsQueueAsync(channel, collector.Queue, cancellationToken);
        await channel.BasicQosAsync(0, Prefetch, global: false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => collector.HandleAsync(channel, delivery);
        subscription._consumerTag = await channel.BasicConsumeAsync(collector.Queue, autoAck: false, consumer, cancellationToken);
        return subscription;
    }

    /// <summary>Stops consuming and deletes the queue: the job is complete, late duplicates are not needed.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (_consumerTag is not null)
        {
            await _channel.BasicCancelAsync(_consumerTag, noWait: false, cancellationToken);
            _consumerTag = null;
        }
        await _channel.QueueDeleteAsync(_queue, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _channel.CloseAsync();
        }
        catch (Exception)
        {
            // Closed with the connection already; the broker returns anything unacked.
        }
        _channel.Dispose();
    }
}
