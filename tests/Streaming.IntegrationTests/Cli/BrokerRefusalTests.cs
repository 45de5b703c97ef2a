using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Cli;

/// <summary>A broker that answers and refuses the vhost or the user: configuration, so exit 2 with one line at once,
/// never a retry loop, a stack trace or a crash.</summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerRefusalTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_exit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AllThreeServices_VhostTheBrokerDoesNotHave_ExitTwoWithOneLineNamingIt()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var vhost = "no-such-vhost-" + Guid.NewGuid().ToString("N")[..8];
        pipeline.ServiceUri = AmqpUris.WithVhost(new Uri(pipeline.Uri), vhost).ToString();
        var input = pipeline.WriteInput("refused.txt", "x\n"u8.ToArray());

        var publish = pipeline.StartPublish([input]);
        var consumer = pipeline.StartConsumer("identity");
        await using var watch = ServiceProcess.StartProducer(
            ["watch", "--data", Path.Combine(pipeline.Directory, "data"), "--rabbitmq", pipeline.ServiceUri]);

        foreach (var service in new[] { publish, consumer, watch })
        {
            var code = await service.WaitForExitAsync(s_exit);
            Assert.True(code == 2, service.Describe());
            AssertOneLineNaming(service.StandardError, $"vhost '{vhost}'");
        }
        Assert.False(File.Exists(input + ".out"));
    }

    [Fact]
    public async Task PublishAndConsumer_WrongPassword_ExitTwoWithOneLineNamingTheUser()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (user, password) = AmqpUris.Credentials(new Uri(pipeline.Uri));
        pipeline.ServiceUri = new UriBuilder(pipeline.Uri) { UserName = user, Password = password + "-wrong" }.Uri.ToString();
        var input = pipeline.WriteInput("wrong-password.txt", "x\n"u8.ToArray());

        var publish = pipeline.StartPublish([input]);
        var consumer = pipeline.StartConsumer("identity");

        foreach (var service in new[] { publish, consumer })
        {
            var code = await service.WaitForExitAsync(s_exit);
            Assert.True(code == 2, service.Describe());
            AssertOneLineNaming(service.StandardError, $"user '{user}'");
            Assert.DoesNotContain(password + "-wrong", service.StandardError, StringComparison.Ordinal);
        }
    }

    private static void AssertOneLineNaming(string stderr, string expected)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{stderr}");
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
    }
}
