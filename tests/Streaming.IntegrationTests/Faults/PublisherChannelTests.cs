using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.Messaging.Publishing;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// A channel the broker closes over one bad publish (a message over its size limit, an invalid property) is not
/// recovered by the client: a publisher that kept it would fail every publish after that, for good.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class PublisherChannelTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PublishAsync_AfterTheBrokerClosedTheChannel_PublishesOnAFreshChannel()
    {
        var uri = await broker.CreateVhostAsync();
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using (var setup = await connection.CreateChannelAsync())
        {
            await setup.QueueDeclareAsync("publisher-channel", durable: true, exclusive: false, autoDelete: false);
        }
        await using var publisher = await ConfirmingPublisher.CreateAsync(connection, 8, s_timeout, CancellationToken.None);

        // RabbitMQ closes the channel with 406 PRECONDITION_FAILED over an expiration that is not a number.
        var invalid = new BasicProperties { Expiration = "soon" };
        await Assert.ThrowsAnyAsync<Exception>(() => publisher.PublishAsync("publisher-channel", invalid, "bad"u8.ToArray(), mandatory: true, CancellationToken.None));
        for (var i = 0; i < 3; i++)
        {
            await publisher.PublishAsync("publisher-channel", new BasicProperties(), "good"u8.ToArray(), mandatory: true, CancellationToken.None)
                .WaitAsync(s_timeout);
        }

        await using var check = await connection.CreateChannelAsync();
        Assert.Equal(3u, await check.MessageCountAsync("publisher-channel"));
        Assert.Null(publisher.BrokerMaxMessageBytes);
    }

    /// <summary>No queue of the service nacks by its own limits, so a nack means the channel's state for a queue is
    /// stuck (seen in a cluster after a node was killed): the next publish goes out on a fresh channel. Here a full
    /// queue that rejects publishes stands in for that broker state.</summary>
    [Fact]
    public async Task PublishAsync_AfterTheBrokerNackedAPublish_PublishesOnAFreshChannel()
    {
        var uri = await broker.CreateVhostAsync();
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using (var setup = await connection.CreateChannelAsync())
        {
            await setup.QueueDeclareAsync("publisher-full", durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-max-length"] = 0, ["x-overflow"] = "reject-publish" });
            await setup.QueueDeclareAsync("publisher-channel", durable: true, exclusive: false, autoDelete: false);
        }
        await using var publisher = await ConfirmingPublisher.CreateAsync(connection, 8, s_timeout, CancellationToken.None);
        var first = publisher.ChannelNumber;

        var nack = await Assert.ThrowsAsync<PublishException>(() => publisher.PublishAsync("publisher-full", new BasicProperties(), "x"u8.ToArray(), mandatory: true, CancellationToken.None));
        Assert.False(nack.IsReturn);
        await publisher.PublishAsync("publisher-channel", new BasicProperties(), "good"u8.ToArray(), mandatory: true, CancellationToken.None)
            .WaitAsync(s_timeout);

        Assert.NotEqual(first, publisher.ChannelNumber);
        await using var check = await connection.CreateChannelAsync();
        Assert.Equal(1u, await check.MessageCountAsync("publisher-channel"));
    }
}
