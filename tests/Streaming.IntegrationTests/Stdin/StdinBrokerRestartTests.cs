using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Stdin;

/// <summary>
/// The broker restarted under <c>publish - --wait</c>: the producer waits for it, and the stream's output is still exact
/// though its standard input cannot be read again. On the shared broker, alone (it stops the broker).
/// </summary>
[Collection(BrokerRestartCollection.Name)]
public sealed class StdinBrokerRestartTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task PublishStdin_BrokerRestartedMidStream_StdoutIsExact()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: the tests cannot restart someone else's broker.
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 30_000);
        var input = pipeline.WriteInput("stdin.bin", content);
        var stdout = Path.Combine(pipeline.Directory, "stdout.bin");
        var consumer = await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);

        await using var producer = StdinPublish.Start(pipeline, input, stdout, extra: ["--batch-lines", "200"]);
        await StdinPublish.WaitForOutputAsync(producer, stdout, content.Length / 4, s_run);
        await broker.StopAsync();
        await broker.StartAsync();
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.False(consumer.HasExited, consumer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), await File.ReadAllBytesAsync(stdout));
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }
}
