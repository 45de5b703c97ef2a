using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Streaming.IntegrationTests.Infrastructure;

[Collection(BrokerRestartCollection.Name)]
public sealed class BrokerRestartTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task StopAsync_ThenStartAsync_KeepsUriVhostsAndDurableMessages()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: the tests cannot restart someone else's broker.
        }
        var uri = await broker.CreateVhostAsync();
        await using (var connection = await RabbitMqBrokerTests.ConnectAsync(uri))
        await using (var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            await RabbitMqBrokerTests.DeclareQuorumQueueAsync(channel, "survivor");
            await channel.BasicPublishAsync("", "survivor", mandatory: true,
                new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, Encoding.UTF8.GetBytes("still here"));
        }

        await broker.StopAsync();
        try
        {
            await Assert.ThrowsAsync<BrokerUnreachableException>(() => RabbitMqBrokerTests.ConnectAsync(uri));
        }
        finally
        {
            await broker.StartAsync();
        }

        await using var again = await RabbitMqBrokerTests.ConnectAsync(uri);
        await using var check = await again.CreateChannelAsync();
        var message = await check.BasicGetAsync("survivor", autoAck: true);
        Assert.NotNull(message);
        Assert.Equal("still here", Encoding.UTF8.GetString(message.Body.Span));
    }
}
