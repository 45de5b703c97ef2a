using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// A batch a consumer could not finish for its own reasons used to be nacked, which marks it redelivered, which the
/// next consumer reads as "it crashed a consumer": it was quarantined, and enough such returns fail innocent lines
/// as poison. An alarm held past the consumers' publish timeout makes every batch in flight one of those.
/// </summary>
[Collection(FaultBrokerCollection.Name)]
public sealed class ConsumerHandBackTests(FaultBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);
    private const int Prefetch = 4;

    [Theory]
    [InlineData("set_disk_free_limit", "1000000GB", "50MB")]
    [InlineData("set_vm_memory_high_watermark", "0.0000001", "0.4")]
    public async Task Consumer_AlarmLongerThanItsPublishTimeout_BatchesHandedBackNotQuarantinedAndOutputIsExact(
        string command, string raise, string clear)
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["RabbitMq__PublishTimeoutSeconds"] = "10";
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var input = pipeline.WriteInput("alarm in flight.txt", content);
        var shortTimeout = new Dictionary<string, string?> { ["RabbitMq__PublishTimeoutSeconds"] = "2" };
        var consumer = await pipeline.StartConsumerAsync("delay:4", environment: shortTimeout, extra: ["--concurrency", "8", "--prefetch", $"{Prefetch}"]);

        // An alarm raised while the consumer had drained the queue would block only the producer, and leave the consumer
        // idle, not failing.
        var producer = pipeline.StartPublish([input], WorkBacklog.WindowAlone(), "--batch-lines", "100");
        await OutputProgress.WaitForBytesAsync(input, content.Length / 5, s_run);
        await WorkBacklog.WaitForAsync(pipeline, minimum: 2 * Prefetch + 8);
        await broker.RabbitMqCtlAsync(command, raise);
        try
        {
            // A result publish timed out, and so did handing its batch back: the alarm outlasted the timeout twice.
            await consumer.WaitForOutputAsync("failed; handing it back", TimeSpan.FromSeconds(60));
            await consumer.WaitForOutputAsync("trying again in", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await broker.RabbitMqCtlAsync(command, clear);
        }
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.DoesNotContain("quarantined", consumer.StandardError, StringComparison.Ordinal);
        Assert.False(consumer.HasExited, consumer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }
}
