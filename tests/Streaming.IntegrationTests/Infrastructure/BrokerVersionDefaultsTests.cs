using System.Diagnostics;
using System.Globalization;
using RabbitMQ.Client;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// What RabbitMQ 4.x changed under this product, checked on the run's own broker (CI: 4.0.5 through the Testcontainers
/// fixture in the JIT stage, 3.10.8 private nodes in the Native AOT stage), each with what 3.x does instead:
/// a quorum queue without <c>x-delivery-limit</c> gets a limit of 20 (3.x: none, a poison message comes back for ever:
/// why <c>StreamingTopology</c> always sets its own), and <c>max_message_size</c> is 16 MiB (3.x: 128 MiB: why a
/// message, and so the line limit, must stay under 16 MiB).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerVersionDefaultsTests(RabbitMqBroker broker)
{
    private const int FourXDefaultDeliveryLimit = 20;
    private const int FourXMaxMessageBytes = 16 * 1024 * 1024;
    private static readonly TimeSpan s_getTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task QuorumQueue_WithoutDeliveryLimitArgument_DeadLetteredAfterTwentyReturnsOn4xOnlyReturnedOn3x()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: rabbitmqctl cannot ask someone else's broker for its version
        }
        var major = await BrokerMajorVersionAsync();
        await using var connection = await new ConnectionFactory { Uri = new Uri(await broker.CreateVhostAsync()) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("no-limit.dead", durable: true, exclusive: false, autoDelete: false);
        await channel.QueueDeclareAsync("no-limit", durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = "no-limit.dead",
        });
        await channel.BasicPublishAsync("", "no-limit", mandatory: false, new BasicProperties { Persistent = true }, "poison"u8.ToArray());

        var deliveries = 0;
        for (var attempt = 0; attempt < FourXDefaultDeliveryLimit + 5; attempt++)
        {
            var delivery = await GetWithinAsync(channel, "no-limit");
            if (delivery is null)
            {
                break;
            }
            deliveries++;
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true);
        }

        var deadLettered = await channel.MessageCountAsync("no-limit.dead");
        if (major >= 4)
        {
            Assert.InRange(deliveries, FourXDefaultDeliveryLimit, FourXDefaultDeliveryLimit + 1);
            Assert.Equal(1u, deadLettered);
        }
        else
        {
            Assert.Equal(FourXDefaultDeliveryLimit + 5, deliveries);
            Assert.Equal(0u, deadLettered);
        }
    }

    [Fact]
    public async Task Publish_MessageJustOverSixteenMebibytes_RefusedOn4xAcceptedOn3x()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: rabbitmqctl cannot ask someone else's broker for its version
        }
        var major = await BrokerMajorVersionAsync();
        await using var connection = await new ConnectionFactory { Uri = new Uri(await broker.CreateVhostAsync()) }.CreateConnectionAsync();
        await using (var setup = await connection.CreateChannelAsync())
        {
            await setup.QueueDeclareAsync("large", durable: true, exclusive: false, autoDelete: false);
        }
        var body = new byte[FourXMaxMessageBytes + 1];

        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var publish = channel.BasicPublishAsync("", "large", mandatory: false, new BasicProperties(), body).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        if (major >= 4)
        {
            // The broker closes the channel (406 PRECONDITION_FAILED, message size larger than max size).
            await Assert.ThrowsAnyAsync<Exception>(() => publish);
            await using var check = await connection.CreateChannelAsync();
            Assert.Equal(0u, await check.MessageCountAsync("large"));
        }
        else
        {
            await publish;
            Assert.Equal(1u, await channel.MessageCountAsync("large"));
        }
    }

    private async Task<int> BrokerMajorVersionAsync()
    {
        var version = (await broker.RabbitMqCtlAsync("-q", "version")).Trim();
        return int.Parse(version.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>A message from the queue, waiting up to 5 s for one requeued a moment ago; null when none came.</summary>
    private static async Task<BasicGetResult?> GetWithinAsync(IChannel channel, string queue)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var result = await channel.BasicGetAsync(queue, autoAck: false);
            if (result is not null || clock.Elapsed >= s_getTimeout)
            {
                return result;
            }
            await Task.Delay(50);
        }
    }
}
