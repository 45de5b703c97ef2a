using System.Globalization;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.LeastPrivilege;

/// <summary>
/// The producer and the consumers as the deployments run them: each with its own user and the permissions of
/// <c>deploy/kubernetes/broker/permissions.env</c>. The consumer may not configure (which would let it delete) any
/// queue, so it must find the work queues the producer declared instead of declaring them itself.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class LeastPrivilegeTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan s_consumerReady = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task PublishWait_ProducerAndConsumerWithLeastPrivilegeUsers_OutputIsByteExact()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (producerUri, consumerUri) = await CreateUsersAsync(pipeline);
        var content = EdgeCaseInput.Create(fillerLines: 3000);
        var input = pipeline.WriteInput("least privilege.txt", content);

        // The consumer starts first, before any queue exists: it waits for the producer to declare them.
        pipeline.ServiceUri = consumerUri;
        var consumer = pipeline.StartConsumer("identity");
        pipeline.ServiceUri = producerUri;
        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "250");

        Assert.True(code == 0, producer.Describe() + consumer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
        Assert.Contains("Consuming streaming.lines", consumer.StandardError + consumer.StandardOutput, StringComparison.Ordinal);
        consumer.Terminate();
        Assert.True(0 == await consumer.WaitForExitAsync(TimeSpan.FromSeconds(60)), consumer.Describe());
    }

    [Fact]
    public async Task PublishWait_UrisWithoutPasswordsAndPasswordsFromFileAndEnvironment_Connect()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (producerUri, consumerUri) = await CreateUsersAsync(pipeline);
        var content = EdgeCaseInput.Create(fillerLines: 200);
        var input = pipeline.WriteInput("no password on the command line.txt", content);
        var (consumerLogin, consumerPassword) = SplitPassword(consumerUri);
        var passwordFile = Path.Combine(pipeline.Directory, "consumer.password");
        await File.WriteAllTextAsync(passwordFile, consumerPassword + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        pipeline.ServiceUri = consumerLogin;
        var consumer = pipeline.StartConsumer("identity", environment: new Dictionary<string, string?> { ["RabbitMq__PasswordFile"] = passwordFile });
        var (producerLogin, producerPassword) = SplitPassword(producerUri);
        pipeline.ServiceUri = producerLogin;
        pipeline.ServiceEnvironment["RabbitMq__Password"] = producerPassword;
        var (code, producer) = await pipeline.PublishAsync(input, s_run);

        Assert.True(code == 0, producer.Describe() + consumer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        Assert.DoesNotContain(consumerPassword, consumer.StandardError + consumer.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(producerPassword, producer.StandardError + producer.StandardOutput, StringComparison.Ordinal);
        consumer.Terminate();
        Assert.True(0 == await consumer.WaitForExitAsync(TimeSpan.FromSeconds(60)), consumer.Describe());
    }

    /// <summary>The URI without its password (<c>amqp://user@host/vhost</c>), and the password.</summary>
    private static (string Login, string Password) SplitPassword(string uri)
    {
        var parsed = new Uri(uri);
        var userInfo = parsed.UserInfo.Split(':');
        return ($"amqp://{userInfo[0]}@{parsed.Authority}{parsed.AbsolutePath}", Uri.UnescapeDataString(userInfo[1]));
    }

    [Fact]
    public async Task ConsumerUser_DeletesOrDeclaresAQueueOrReadsResults_BrokerRefuses()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (producerUri, consumerUri) = await CreateUsersAsync(pipeline);
        var input = pipeline.WriteInput("declare.txt", "one\n"u8.ToArray());
        pipeline.ServiceUri = consumerUri;
        var consumer = pipeline.StartConsumer("identity");
        pipeline.ServiceUri = producerUri;
        var (code, producer) = await pipeline.PublishAsync(input, s_run);
        Assert.True(code == 0, producer.Describe() + consumer.Describe());
        await consumer.WaitForOutputAsync("Consuming streaming.lines", s_consumerReady);
        var results = QueueNames.ResultsQueue(Guid.NewGuid());
        await using (var producerConnection = await new ConnectionFactory { Uri = new Uri(producerUri) }.CreateConnectionAsync())
        await using (var producerChannel = await producerConnection.CreateChannelAsync())
        {
            await StreamingTopology.DeclareResultsQueueAsync(producerChannel, results, CancellationToken.None);
        }

        await using var connection = await new ConnectionFactory { Uri = new Uri(consumerUri) }.CreateConnectionAsync();
        foreach (var queue in new[] { QueueNames.Work, QueueNames.Quarantine, QueueNames.Dead })
        {
            await AssertRefusedAsync(connection, channel => channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false));
        }
        await AssertRefusedAsync(connection, channel => StreamingTopology.DeclareWorkQueuesAsync(channel, PipelineQueues.Default, CancellationToken.None));
        await AssertRefusedAsync(connection, channel => StreamingTopology.DeclareResultsQueueAsync(channel, results, CancellationToken.None));
        await AssertRefusedAsync(connection, channel => channel.BasicGetAsync(results, autoAck: false));
        // Cancelling is the producers' alone: a consumer can neither announce a cancel nor remove the exchange.
        await AssertRefusedAsync(connection, channel => channel.ExchangeDeleteAsync(QueueNames.CancelExchange));
        await AssertRefusedAsync(connection, channel => StreamingTopology.DeclareCancelListenerAsync(
            channel, QueueNames.ResultsQueue(Guid.NewGuid()), CancellationToken.None));
        await using (var confirming = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(async () => await confirming.BasicPublishAsync(
                QueueNames.CancelExchange, string.Empty, true, new BasicProperties(), new byte[16]));
            Assert.True(refused.ShutdownReason?.ReplyCode == Constants.AccessRefused, refused.Message);
        }

        // What the consumer needs still works: the work queue is there, and it may consume it.
        await using var check = await connection.CreateChannelAsync();
        var work = await check.QueueDeclarePassiveAsync(QueueNames.Work);
        Assert.Equal(QueueNames.Work, work.QueueName);
        // Whether a batch's results queue still exists, and its own cancel listener.
        Assert.Equal(results, (await check.QueueDeclarePassiveAsync(results)).QueueName);
        await StreamingTopology.DeclareCancelListenerAsync(check, QueueNames.CancelListenerFor(Guid.NewGuid()), CancellationToken.None);
        consumer.Terminate();
        Assert.True(0 == await consumer.WaitForExitAsync(TimeSpan.FromSeconds(60)), consumer.Describe());
    }

    [Fact]
    public async Task PublishWait_NamedPipelineWithLeastPrivilegeUsers_OutputIsByteExactAndAFleetUserReadsOnlyItsPipeline()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        const string name = "lp.fleet-1";
        var queues = PipelineQueues.For(name);
        var (producerUri, consumerUri) = await CreateUsersAsync(pipeline);
        var fleetUri = await CreateUserAsync(pipeline, "fleet", BrokerPermissions.Load().OfPipelineConsumer(name));
        // Lower-case text: the fleet's processor (upper) shows on every line.
        var content = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 1000).Select(i => $"fleet line {i}\n")));
        var input = pipeline.WriteInput("least privilege pipeline.txt", content);

        // The fleet's own user first, before any queue exists: it waits for the producer to declare its pipeline's.
        pipeline.ServiceUri = fleetUri;
        var consumer = pipeline.StartConsumer("upper", extra: ["--pipeline", name]);
        pipeline.ServiceUri = producerUri;
        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "100", "--pipeline", name);

        Assert.True(code == 0, producer.Describe() + consumer.Describe());
        Ledger.AssertOutput(input, content, "upper");
        Assert.Contains($"Consuming {queues.Work} with", consumer.StandardError + consumer.StandardOutput, StringComparison.Ordinal);
        // Another pipeline's queues and the default one's, declared by the producer's user as a producer would.
        var other = PipelineQueues.For("lp.other");
        await using (var producerConnection = await new ConnectionFactory { Uri = new Uri(producerUri) }.CreateConnectionAsync())
        await using (var producerChannel = await producerConnection.CreateChannelAsync())
        {
            await StreamingTopology.DeclareWorkQueuesAsync(producerChannel, other, CancellationToken.None);
            await StreamingTopology.DeclareWorkQueuesAsync(producerChannel, PipelineQueues.Default, CancellationToken.None);
        }

        await using (var fleet = await new ConnectionFactory { Uri = new Uri(fleetUri) }.CreateConnectionAsync())
        {
            foreach (var queue in new[] { other.Work, other.Quarantine, other.DeliveryLimit, QueueNames.Work, QueueNames.Quarantine })
            {
                await AssertRefusedAsync(fleet, channel => channel.BasicGetAsync(queue, autoAck: false));
            }
            await AssertRefusedAsync(fleet, channel => channel.QueueDeleteAsync(queues.Work, ifUnused: false, ifEmpty: false));
            await using var own = await fleet.CreateChannelAsync();
            Assert.Null(await own.BasicGetAsync(queues.Quarantine, autoAck: false));
        }
        // The vhost-wide consumer user may read every pipeline, and still delete or declare none.
        await using (var shared = await new ConnectionFactory { Uri = new Uri(consumerUri) }.CreateConnectionAsync())
        {
            await using (var own = await shared.CreateChannelAsync())
            {
                Assert.Null(await own.BasicGetAsync(other.Work, autoAck: false));
            }
            await AssertRefusedAsync(shared, channel => channel.QueueDeleteAsync(other.Work, ifUnused: false, ifEmpty: false));
            await AssertRefusedAsync(shared, channel => StreamingTopology.DeclareWorkQueuesAsync(channel, PipelineQueues.For("lp.new"), CancellationToken.None));
        }
        consumer.Terminate();
        Assert.True(0 == await consumer.WaitForExitAsync(TimeSpan.FromSeconds(60)), consumer.Describe());
    }

    private static async Task AssertRefusedAsync(IConnection connection, Func<IChannel, Task> operation)
    {
        await using var channel = await connection.CreateChannelAsync();
        var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() => operation(channel));
        Assert.True(refused.ShutdownReason?.ReplyCode == Constants.AccessRefused, refused.Message);
    }

    /// <summary>A user on the pipeline's vhost with <paramref name="permissions"/>; its URI.</summary>
    private static async Task<string> CreateUserAsync(
        TestPipeline pipeline, string role, (string Configure, string Write, string Read) permissions)
    {
        var user = $"lp-{role}-{Guid.NewGuid().ToString("N")[..8]}";
        var password = Guid.NewGuid().ToString("N");
        await pipeline.Broker.RabbitMqCtlAsync("-q", "add_user", user, password);
        await pipeline.Broker.RabbitMqCtlAsync(
            "-q", "set_permissions", "-p", pipeline.Vhost, user, permissions.Configure, permissions.Write, permissions.Read);
        var vhostUri = new Uri(pipeline.Uri);
        return $"amqp://{user}:{password}@{vhostUri.Authority}{vhostUri.AbsolutePath}";
    }

    /// <summary>A producer and a consumer user on the pipeline's vhost with the deployed permissions; their URIs.</summary>
    private static async Task<(string Producer, string Consumer)> CreateUsersAsync(TestPipeline pipeline)
    {
        Assert.True(pipeline.Broker.CanControl, "these tests create users with rabbitmqctl, which a RABBITMQ_URI broker does not allow");
        var permissions = BrokerPermissions.Load();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var uris = new List<string>();
        foreach (var role in new[] { "PRODUCER", "CONSUMER" })
        {
            var user = string.Create(CultureInfo.InvariantCulture, $"lp-{role.ToLowerInvariant()}-{suffix}");
            var password = Guid.NewGuid().ToString("N");
            var (configure, write, read) = permissions.Of(role);
            await pipeline.Broker.RabbitMqCtlAsync("-q", "add_user", user, password);
            await pipeline.Broker.RabbitMqCtlAsync("-q", "set_permissions", "-p", pipeline.Vhost, user, configure, write, read);
            var vhostUri = new Uri(pipeline.Uri);
            uris.Add($"amqp://{user}:{password}@{vhostUri.Authority}{vhostUri.AbsolutePath}");
        }
        return (uris[0], uris[1]);
    }
}
