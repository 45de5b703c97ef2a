using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Consuming;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Topology;

namespace Streaming.Consumer.Processing;

/// <summary>
/// Hears the producers' cancel notices (<see cref="QueueNames.CancelExchange"/>) on a queue of this connection's own
/// (exclusive, auto-delete: it goes with the connection) and remembers the cancelled jobs in <see cref="Cancelled"/>.
/// A notice missed while disconnected comes again: producers repeat their recent cancels every few seconds.
/// </summary>
internal sealed class CancelListener : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly SupervisedSubscription _subscription;

    public CancelListener(IConnection connection, CancelledJobs cancelled, ILogger logger)
    {
        _logger = logger;
        Cancelled = cancelled;
        var queue = QueueNames.CancelListenerFor(Guid.NewGuid());
        _subscription = new SupervisedSubscription(
            connection, queue, prefetch: 16, dispatchConcurrency: 1,
            (channel, ct) => StreamingTopology.DeclareCancelListenerAsync(channel, queue, ct), HandleAsync, logger);
    }

    public CancelledJobs Cancelled { get; }

    public Task StartAsync(CancellationToken cancellationToken) => _subscription.StartAsync(cancellationToken);

    public Task CancelAsync() => _subscription.CancelAsync();

    public ValueTask DisposeAsync() => _subscription.DisposeAsync();

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        try
        {
            foreach (var jobId in CancelNotice.Decode(delivery.Body.Span))
            {
                if (Cancelled.Add(jobId))
                {
                    ConsumerLog.JobCancelled(_logger, jobId);
                }
            }
        }
        catch (MessageFormatException ex)
        {
            ConsumerLog.BadCancelNotice(_logger, ex.Message);
        }
        try
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (Exception ex) when (!channel.IsOpen || ex is ObjectDisposedException)
        {
            // The queue goes with the channel's connection: nothing to settle.
        }
    }
}
