using RabbitMQ.Client;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// A broker that already has <c>streaming.lines</c> with other arguments (left by another version, or declared by
/// hand) refuses our declaration with 406. Retrying cannot fix that: every service must say which queue and what to
/// do in one line and exit 2, not retry forever nor print a stack trace.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class TopologyMismatchTests(RabbitMqBroker broker) : IDisposable
{
    private static readonly TimeSpan s_exit = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-topology-").FullName;

    [Fact]
    public async Task Services_WorkQueueDeclaredWithOtherArguments_ExitTwoNamingTheQueue()
    {
        var uri = await broker.CreateVhostAsync();
        await using (var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            // A classic queue under the work queue's name, as a foreign deployment might have left it.
            await channel.QueueDeclareAsync(QueueNames.Work, durable: true, exclusive: false, autoDelete: false);
        }
        var input = Path.Combine(_directory, "input.txt");
        await File.WriteAllTextAsync(input, "one\ntwo\n");

        await using var producer = ServiceProcess.StartProducer(["publish", input, "--wait", "--rabbitmq", uri]);
        await using var consumer = ServiceProcess.StartConsumer(["--rabbitmq", uri]);
        await using var watch = ServiceProcess.StartProducer(["watch", "--data", Path.Combine(_directory, "data"), "--rabbitmq", uri]);

        foreach (var service in new[] { producer, consumer, watch })
        {
            Assert.True(2 == await service.WaitForExitAsync(s_exit), $"expected exit 2: {service.Describe()}");
            var stderr = service.StandardError;
            Assert.Contains($"queue '{QueueNames.Work}' already exists on the broker with other arguments", stderr, StringComparison.Ordinal);
            Assert.Contains($"rabbitmqctl delete_queue {QueueNames.Work}", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(input + ".out"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
