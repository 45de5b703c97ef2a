using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Infrastructure;

[Collection(BrokerCollection.Name)]
public sealed class RabbitMqBrokerTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task CreateVhostAsync_QuorumQueue_PublishWithConfirmsAndConsumeRoundTrips()
    {
        var uri = await broker.CreateVhostAsync();
        await using var connection = await ConnectAsync(uri);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var queue = $"smoke-{Guid.NewGuid():N}";    // unique even when the vhost is shared (RABBITMQ_URI)
        await DeclareQuorumQueueAsync(channel, queue);

        // With confirmation tracking, the publish completes only once the broker has confirmed it.
        await channel.BasicPublishAsync("", queue, mandatory: true,
            new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, Encoding.UTF8.GetBytes("hello"));

        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            try
            {
                received.TrySetResult(Encoding.UTF8.GetString(delivery.Body.Span));
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            }
            catch (Exception ex)
            {
                received.TrySetException(ex);
            }
        };
        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: 10, global: false);
        var consumerTag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer);

        Assert.Equal("hello", await received.Task.WaitAsync(s_timeout));
        await channel.BasicCancelAsync(consumerTag);
        await channel.QueueDeleteAsync(queue);
    }

    [Fact]
    public async Task CreateVhostAsync_TwoVhosts_AreIsolated()
    {
        var first = await broker.CreateVhostAsync();
        var second = await broker.CreateVhostAsync();
        if (!broker.IsolatesVhosts)
        {
            return;     // RABBITMQ_URI without a management API: both are the URI's own vhost.
        }
        Assert.NotEqual(first, second);

        await using (var connection = await ConnectAsync(first))
        await using (var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            await DeclareQuorumQueueAsync(channel, QueueNames.Work);
            await channel.BasicPublishAsync("", QueueNames.Work, mandatory: true,
                new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, Encoding.UTF8.GetBytes("only in the first"));
        }

        await using var secondConnection = await ConnectAsync(second);
        await using (var channel = await secondConnection.CreateChannelAsync())
        {
            var missing = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeclarePassiveAsync(QueueNames.Work));
            Assert.Equal((ushort)404, missing.ShutdownReason?.ReplyCode);
        }
        await using (var channel = await secondConnection.CreateChannelAsync())
        {
            // Same name, other arguments: fine here, while it would fail with 406 in the first vhost.
            var declared = await channel.QueueDeclareAsync(QueueNames.Work, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "classic" });
            Assert.Equal(0u, declared.MessageCount);
        }
    }

    [Fact]
    public async Task RabbitMqCtlAsync_ListVhosts_IncludesCreatedVhost()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: nothing to run rabbitmqctl against.
        }
        var uri = new Uri(await broker.CreateVhostAsync());

        var output = await broker.RabbitMqCtlAsync("-q", "list_vhosts", "name");

        Assert.Contains(Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')), output.Split('\n').Select(line => line.Trim()));
    }

    internal static async Task<IConnection> ConnectAsync(string uri) =>
        await new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "streaming-infrastructure-tests" }.CreateConnectionAsync();

    internal static Task DeclareQuorumQueueAsync(IChannel channel, string queue) =>
        channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
}
