using System.Globalization;
using System.Text;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// A consumer that holds a delivery past the broker's consumer timeout, set for <c>streaming.lines</c> alone by a
/// <c>consumer-timeout</c> policy (3.12+; CI: the shared 4.0.5 broker, where the global <c>consumer_timeout</c> would
/// touch every other test). RabbitMQ 4.0-4.2 close the consumer's channel (406 PRECONDITION_FAILED, "delivery
/// acknowledgement on channel N timed out"); 4.3+ cancel the consumer instead (<c>consumer_timeout_response =
/// notify_consumer</c>). Either way the batch comes back and the consumer must subscribe again: the output stays
/// exact and the consumer keeps running.
/// </summary>
[Collection(BrokerSecondCollection.Name)]
public sealed class QueueConsumerTimeoutTests(RabbitMqBroker broker, ITestOutputHelper output)
{
    private const int TimeoutMilliseconds = 3000;
    private const int DefaultTickMilliseconds = 60_000;
    private const int TestTickMilliseconds = 500;
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Consumer_SlowerThanTheQueuesConsumerTimeoutPolicy_SubscribesAgainAndOutputIsExact()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: no policy can be set through rabbitmqctl
        }
        var (major, minor) = await BrokerVersionAsync();
        if (major < 3 || (major == 3 && minor < 12))
        {
            return;     // no per-queue timeout before 3.12 (a private 3.10.8 node): BrokerFaultTests sets the global one
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        // The channel a broker closes while a handler still runs is held by RabbitMQ.Client 7 until the handler's
        // publish times out (BrokerFaultTests): a short publish timeout keeps the test short.
        pipeline.ServiceEnvironment["RabbitMq__PublishTimeoutSeconds"] = "4";
        await broker.RabbitMqCtlAsync("set_policy", "-p", pipeline.Vhost, "--apply-to", "queues", "consumer-timeout",
            @"^streaming\.lines$", string.Create(CultureInfo.InvariantCulture, $"{{\"consumer-timeout\":{TimeoutMilliseconds}}}"));
        // Two batches of 150 lines at 25 ms a line, one at a time: each delivery is held about 3.75 s, past 3 s.
        var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 300).Select(i => $"slow line {i}\n")));
        var input = pipeline.WriteInput("slow.txt", content);

        // The broker looks for timed-out deliveries on each channel's tick, once a minute unless told otherwise; the
        // tick is the node's, for channels opened from now on (every other test's channels merely tick more often).
        await SetTickAsync(TestTickMilliseconds);
        try
        {
            var consumer = await pipeline.StartConsumerAsync("slow:25", TestPipeline.TestConsumer, extra: ["--concurrency", "1", "--prefetch", "1"]);
            var producer = pipeline.StartPublish([input], "--batch-lines", "150");
            var code = await producer.WaitForExitAsync(s_run);

            Assert.True(code == 0, producer.Describe());
            Assert.False(consumer.HasExited, consumer.Describe());
            Assert.Contains("subscribing again", consumer.StandardError, StringComparison.Ordinal);
            foreach (var line in consumer.StandardError.Split('\n').Where(l => l.Contains("streaming.lines", StringComparison.Ordinal)))
            {
                output.WriteLine($"RabbitMQ {major}.{minor}, consumer: {line.Trim()}");
            }
            if (major > 4 || (major == 4 && minor >= 3))
            {
                Assert.Contains("The broker cancelled the consumer on streaming.lines", consumer.StandardError, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains("the broker closed the channel (PRECONDITION_FAILED - delivery acknowledgement on channel", consumer.StandardError, StringComparison.Ordinal);
            }
        }
        finally
        {
            await SetTickAsync(DefaultTickMilliseconds);
        }
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    private Task<string> SetTickAsync(int milliseconds) =>
        broker.RabbitMqCtlAsync("eval", string.Create(CultureInfo.InvariantCulture, $"application:set_env(rabbit, channel_tick_interval, {milliseconds})."));

    private async Task<(int Major, int Minor)> BrokerVersionAsync()
    {
        var parts = (await broker.RabbitMqCtlAsync("-q", "version")).Trim().Split('.');
        return (int.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture), int.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture));
    }
}
