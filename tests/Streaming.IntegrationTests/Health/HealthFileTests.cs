using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Health;

/// <summary>The file a container HEALTHCHECK tests: fresh while the broker connection is open, gone when it is lost.</summary>
[Collection(BrokerCollection.Name)]
public sealed class HealthFileTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Consumer_ConnectedThenConnectionLost_HealthFileRefreshedThenDeleted()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: the test cannot manage users of someone else's broker.
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var healthFile = Path.Combine(pipeline.Directory, "consumer.healthy");
        var environment = new Dictionary<string, string?>
        {
            ["Health__File"] = healthFile,
            ["Health__IntervalSeconds"] = "1",
        };
        // A user of its own, deleted to cut the connection for good: the broker closes its connections at once and
        // refuses every reconnection.
        var user = "health-" + Guid.NewGuid().ToString("N")[..8];
        var vhost = Uri.UnescapeDataString(new Uri(pipeline.Uri).AbsolutePath.TrimStart('/'));
        await broker.RabbitMqCtlAsync("-q", "add_user", user, "health-password");
        await broker.RabbitMqCtlAsync("-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*");
        var uri = new UriBuilder(pipeline.Uri) { UserName = user, Password = "health-password" }.Uri.ToString();
        await using var consumer = ServiceProcess.StartConsumer(["--rabbitmq", uri], environment);
        await consumer.WaitForOutputAsync("Consuming streaming.lines", s_deadline);

        await WaitUntilAsync(() => File.Exists(healthFile), consumer);
        var firstWrite = File.GetLastWriteTimeUtc(healthFile);
        await WaitUntilAsync(() => File.Exists(healthFile) && File.GetLastWriteTimeUtc(healthFile) > firstWrite, consumer);
        await broker.RabbitMqCtlAsync("-q", "delete_user", user);
        await WaitUntilAsync(() => !File.Exists(healthFile), consumer);
        // The service logs the change before it deletes the file, but its console logger writes from a queue of its
        // own and the test reads stderr through a pipe: the line may come after the file is gone, so wait for it.
        await consumer.WaitForOutputAsync("Health: Unhealthy", s_deadline);

        Assert.False(consumer.HasExited, consumer.Describe());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, ServiceProcess service)
    {
        using var deadline = new CancellationTokenSource(s_deadline);
        while (!condition())
        {
            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the health file did not reach the expected state within {s_deadline.TotalSeconds:0} s.{Environment.NewLine}{service.Describe()}");
            }
        }
    }
}
