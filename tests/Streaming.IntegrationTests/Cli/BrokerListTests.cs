using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Cli;

/// <summary><c>--rabbitmq</c> with a list of nodes: the first that answers gets the connection.</summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerListTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task PublishWaitAndConsumer_FirstNodeOfTheListDead_BothUseTheSecondAndTheFileIsExact()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var live = new Uri(pipeline.Uri);
        var dead = new UriBuilder(live) { Port = FreePorts.Pick() }.Uri;
        pipeline.ServiceUri = $"{dead},{live}";
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var content = EdgeCaseInput.Create(fillerLines: 1000);
        var input = pipeline.WriteInput("two nodes.txt", content);
        var consumer = await pipeline.StartConsumerAsync("identity");

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "100");

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
        var liveNode = $"(node amqp://{live.Host}:{live.Port})";
        Assert.Contains(liveNode, consumer.StandardError, StringComparison.Ordinal);
        Assert.Contains(liveNode, producer.StandardError, StringComparison.Ordinal);
        consumer.Terminate();
        Assert.Equal(0, await consumer.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
