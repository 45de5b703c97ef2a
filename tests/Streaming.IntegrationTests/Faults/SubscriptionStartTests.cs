using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.Messaging.Consuming;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// Right after a broker restart, a quorum queue that is not yet elected can leave basic.consume unanswered until the
/// client gives up and cancels the call (seen in a chaos run: the producer then died of the unhandled cancellation).
/// The first subscription must retry that, and when the broker never answers, fail with a broker error — a
/// <see cref="TimeoutException"/> that every service maps to its broker handling — not with a cancellation.
/// The client's own timeout is 20 s, so the declare step stands in for the unanswered call here.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class SubscriptionStartTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StartAsync_BrokerLeavesTheFirstAttemptUnanswered_RetriesAndConsumes()
    {
        var uri = await broker.CreateVhostAsync();
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        var attempts = 0;
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = new SupervisedSubscription(
            connection, "subscription-start", 1, 1,
            async (channel, ct) =>
            {
                if (Interlocked.Increment(ref attempts) == 1)
                {
                    throw new TaskCanceledException("the client's continuation timeout");
                }
                await channel.QueueDeclareAsync("subscription-start", durable: true, exclusive: false, autoDelete: false,
                    arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct);
            },
            async (channel, delivery) =>
            {
                received.TrySetResult(Encoding.UTF8.GetString(delivery.Body.Span));
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            },
            NullLogger.Instance);

        await subscription.StartAsync(CancellationToken.None).WaitAsync(s_deadline);
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.BasicPublishAsync("", "subscription-start", Encoding.UTF8.GetBytes("after the retry"));
        }

        Assert.Equal("after the retry", await received.Task.WaitAsync(s_deadline));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task StartAsync_BrokerNeverAnswers_GivesUpWithATimeoutAfterBoundedAttempts()
    {
        var uri = await broker.CreateVhostAsync();
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        var attempts = 0;
        await using var subscription = new SupervisedSubscription(
            connection, "never-answered", 1, 1,
            (_, _) =>
            {
                Interlocked.Increment(ref attempts);
                throw new TaskCanceledException("the client's continuation timeout");
            },
            (_, _) => Task.CompletedTask,
            NullLogger.Instance);

        var failure = await Assert.ThrowsAsync<TimeoutException>(() => subscription.StartAsync(CancellationToken.None).WaitAsync(s_deadline));

        Assert.Contains("never-answered", failure.Message, StringComparison.Ordinal);
        Assert.Equal(SupervisedSubscription.DefaultStartAttempts, attempts);
    }

    [Fact]
    public async Task StartAsync_CancelledByTheCaller_StopsAtOnceWithACancellation()
    {
        var uri = await broker.CreateVhostAsync();
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        using var stop = new CancellationTokenSource();
        var attempts = 0;
        await using var subscription = new SupervisedSubscription(
            connection, "cancelled", 1, 1,
            async (_, ct) =>
            {
                Interlocked.Increment(ref attempts);
                await stop.CancelAsync();
                ct.ThrowIfCancellationRequested();
            },
            (_, _) => Task.CompletedTask,
            NullLogger.Instance);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => subscription.StartAsync(stop.Token).WaitAsync(s_deadline));

        Assert.Equal(1, attempts);
    }
}
