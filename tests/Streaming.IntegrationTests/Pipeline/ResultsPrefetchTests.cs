using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Pipeline;

/// <summary>
/// The producer's consumer of its results queue takes a few results at a time: each one delivered waits in the
/// process's memory until it is handled, in a buffer as large as its batch, and the pool it comes from keeps as many
/// as were ever out at once. Read from the broker, which enforces it.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ResultsPrefetchTests(RabbitMqBroker broker)
{
    private const int MostResultsAtOnce = 8;

    [Fact]
    public async Task Publish_WaitingForItsResults_TheBrokerDeliversItAtMostEightUnacknowledged()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: no rabbitmqctl to ask
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var input = pipeline.WriteInput("waiting.txt", "a\nb\nc\n"u8.ToArray());

        // No consumer: the job waits for its results, consuming its results queue.
        var producer = pipeline.StartPublish([input]);
        await producer.WaitForOutputAsync("come back to streaming.results.", TimeSpan.FromSeconds(60));
        var queue = ProducerLog.ResultsQueue(producer);
        var listing = await broker.RabbitMqCtlAsync(
            "list_consumers", "-q", "--no-table-headers", "-p", pipeline.Vhost, "queue_name", "prefetch_count");
        producer.Kill();
        await producer.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var prefetch = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(row => row.Split('\t', StringSplitOptions.TrimEntries))
            .Where(fields => fields.Length == 2 && fields[0] == queue)
            .Select(fields => int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        var only = Assert.Single(prefetch);
        Assert.InRange(only, 1, MostResultsAtOnce);
    }
}
