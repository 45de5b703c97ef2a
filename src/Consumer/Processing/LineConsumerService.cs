using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Streaming.Consumer.Processors;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Topology;

namespace Streaming.Consumer.Processing;

/// <summary>
/// The consumer worker: connects (retrying until the broker is there), consumes the work queue with per-consumer
/// prefetch and the quarantine queue one message at a time, and on SIGTERM/SIGINT stops taking work, lets work in
/// progress finish for <see cref="ConsumerOptions.DrainSeconds"/>, hands back the rest and closes.
/// </summary>
internal sealed class LineConsumerService(
    BrokerConnector connector,
    IOptions<ConsumerOptions> options,
    IOptions<RabbitMqOptions> brokerOptions,
    LineProcessorFactory processorFactory,
    ILogger<LineConsumerService> logger) : BackgroundService
{
    private readonly ConsumerOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped before or while connecting: nothing was taken.
        }
        catch (Exception ex)
        {
            ConsumerLog.ServiceFailed(logger, ex);
            Environment.ExitCode = 1;
            throw;
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var clientName = $"streaming-consumer {Environment.MachineName}/{Environment.ProcessId}";
        await using var connection = await connector.ConnectAsync(clientName, retryForever: true, stoppingToken);
        await using (var setup = await connection.CreateChannelAsync(cancellationToken: stoppingToken))
        {
            await StreamingTopology.DeclareWorkQueuesAsync(setup, stoppingToken);
        }
        await using var publisher = await ConfirmingPublisher.CreateAsync(
            connection, maxOutstanding: (2 * _options.Prefetch) + 8,
            TimeSpan.FromSeconds(brokerOptions.Value.PublishTimeoutSeconds), stoppingToken);
        using var processor = new BatchProcessor(processorFactory, _options.Concurrency);
        using var gate = new ProcessingGate();
        using var handler = new DeliveryHandler(processor, gate, publisher, _options.MaxLineBytes, logger);

        await using var work = await SubscribeAsync(connection, QueueNames.Work, (ushort)_options.Prefetch, handler.HandleWorkAsync, stoppingToken);
        await using var quarantine = await SubscribeAsync(connection, QueueNames.Quarantine, 1, handler.HandleQuarantineAsync, stoppingToken);
        ConsumerLog.Consuming(logger, QueueNames.Work, _options.Processor, _options.Prefetch, _options.Concurrency);

        await Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);

        handler.BeginStopping();
        ConsumerLog.Draining(logger, handler.InFlight, _options.DrainSeconds);
        await work.CancelAsync();
        await quarantine.CancelAsync();
        if (!await WaitForIdleAsync(handler, TimeSpan.FromSeconds(_options.DrainSeconds)))
        {
            await handler.AbortAsync();
            await WaitForIdleAsync(handler, TimeSpan.FromSeconds(5));
        }
        ConsumerLog.Stopped(logger, handler.InFlight);
    }

    private async Task<Subscription> SubscribeAsync(
        IConnection connection, string queue, ushort prefetch,
        Func<IChannel, BasicDeliverEventArgs, Task> handle, CancellationToken cancellationToken)
    {
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(false, false, consumerDispatchConcurrency: prefetch), cancellationToken);
        await channel.BasicQosAsync(0, prefetch, global: false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => handle(channel, delivery);
        consumer.UnregisteredAsync += (_, _) =>
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                ConsumerLog.CancelledByBroker(logger, queue);
            }
            return Task.CompletedTask;
        };
        var tag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
        return new Subscription(channel, tag, queue, logger);
    }

    private static async Task<bool> WaitForIdleAsync(DeliveryHandler handler, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (handler.InFlight > 0)
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }
            await Task.Delay(50, CancellationToken.None);
        }
        return true;
    }

    private sealed class Subscription(IChannel channel, string consumerTag, string queue, ILogger logger) : IAsyncDisposable
    {
        public async Task CancelAsync()
        {
            try
            {
                await channel.BasicCancelAsync(consumerTag, noWait: false, CancellationToken.None);
            }
            catch (Exception ex)
            {
                ConsumerLog.DeliveryFailed(logger, queue, ex);
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await channel.CloseAsync();
            }
            catch (Exception)
            {
                // Already closed with the connection; the broker returns anything unacked.
            }
            channel.Dispose();
        }
    }
}
