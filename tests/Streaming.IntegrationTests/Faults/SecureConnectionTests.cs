using System.Text.RegularExpressions;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>amqps:// against a TLS-enabled node with a certificate from a throwaway CA, and passwords that never
/// reach a log line or an error message.</summary>
[Collection(FaultBrokerCollection.Name)]
public sealed partial class SecureConnectionTests(FaultBroker broker)
{
    private const string Password = "Sup3r-Secret-Pa55word";
    private const string User = "streaming-secret-user";

    [Fact]
    public async Task PublishWait_AmqpsWithThePrivateCaFile_ProcessesTheFileExactly()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceUri = AmqpUris.WithVhost(broker.AmqpsUri, pipeline.Vhost).ToString();
        pipeline.ServiceEnvironment["RabbitMq__CaCertificateFile"] = broker.CaCertificatePath;
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var content = EdgeCaseInput.Create(fillerLines: 2000);
        var input = pipeline.WriteInput("secure.txt", content);
        var consumer = await pipeline.StartConsumerAsync("upper");

        var (code, producer) = await pipeline.PublishAsync(input, TimeSpan.FromSeconds(120), "--batch-lines", "100");

        Assert.True(code == 0 || code == 1, producer.Describe());
        Assert.Contains("Connected to amqps://", consumer.StandardError, StringComparison.Ordinal);
        var failing = ReferenceOutput.SplitLines(content).Select((line, i) => (line, i))
            .Where(x => ReferenceOutput.Apply("upper", x.line) is null).Select(x => (long)x.i + 1).ToHashSet();
        Ledger.AssertOutput(input, content, "upper", failing);
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_AmqpsWithoutTrustingTheCa_RefusesTheCertificateAndExitsThree()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceUri = AmqpUris.WithVhost(broker.AmqpsUri, pipeline.Vhost).ToString();
        pipeline.ServiceEnvironment["RabbitMq__ConnectTimeoutSeconds"] = "5";
        var input = pipeline.WriteInput("untrusted.txt", "one line\n"u8.ToArray());

        var (code, producer) = await pipeline.PublishAsync(input, TimeSpan.FromSeconds(60));

        Assert.True(code == 3, producer.Describe());
        Assert.Matches(CertificateProblem(), producer.StandardError);
        Assert.False(File.Exists(input + ".out"));
    }

    [Fact]
    public async Task Services_UriWithAPassword_NeverPrintItInLogsOrErrors()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        await broker.RabbitMqCtlAsync("add_user", User, Password);
        await broker.RabbitMqCtlAsync("set_permissions", "-p", pipeline.Vhost, User, ".*", ".*", ".*");
        var uri = new UriBuilder(pipeline.Uri) { UserName = User, Password = Password }.Uri;
        pipeline.ServiceUri = uri.ToString();
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Trace";
        pipeline.ServiceEnvironment["RabbitMq__ConnectTimeoutSeconds"] = "3";
        var content = EdgeCaseInput.Create(fillerLines: 500);
        var input = pipeline.WriteInput("credentials.txt", content);
        try
        {
            var consumer = await pipeline.StartConsumerAsync("identity");
            var (code, producer) = await pipeline.PublishAsync(input, TimeSpan.FromSeconds(120));
            Assert.True(code == 0, producer.Describe());
            consumer.Terminate();
            await consumer.WaitForExitAsync(TimeSpan.FromSeconds(30));

            // The failures that print a URI: a wrong password, an unreachable port, a URI that does not parse.
            var wrongPassword = new UriBuilder(uri) { Password = Password + "-wrong" }.Uri.ToString();
            var unreachable = new UriBuilder(uri) { Port = FreePorts.Pick() }.Uri.ToString();
            var notAmqp = new UriBuilder(uri) { Scheme = "http" }.Uri.ToString();
            var failing = new List<ServiceProcess>();
            foreach (var bad in new[] { wrongPassword, unreachable, notAmqp })
            {
                pipeline.ServiceUri = bad;
                failing.Add(pipeline.StartPublish([input]));
            }
            pipeline.ServiceUri = unreachable;
            var waiting = pipeline.StartConsumer("identity");
            foreach (var failed in failing)
            {
                var badCode = await failed.WaitForExitAsync(TimeSpan.FromSeconds(60));
                Assert.True(badCode is 2 or 3, failed.Describe());
            }
            await waiting.WaitForOutputAsync("not reachable", TimeSpan.FromSeconds(30));
            waiting.Terminate();
            await waiting.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await broker.RabbitMqCtlAsync("delete_user", User);
        }

        var everything = string.Concat(pipeline.Processes.Select(p => p.StandardOutput + p.StandardError));
        Assert.True(pipeline.Processes.Count >= 6);
        Assert.DoesNotContain(Password, everything, StringComparison.Ordinal);
        Assert.Contains($"{User}:***@", everything, StringComparison.Ordinal);
    }

    [GeneratedRegex("certificate|SSL|TLS|authentication", RegexOptions.IgnoreCase)]
    private static partial Regex CertificateProblem();
}
