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
    public async Task PublishWait_AmqpsCertificateForAnotherNameWithThePrivateCaFile_RefusesItAndExitsThree()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceUri = OtherName(AmqpUris.WithVhost(broker.AmqpsUri, pipeline.Vhost));
        pipeline.ServiceEnvironment["RabbitMq__CaCertificateFile"] = broker.CaCertificatePath;
        pipeline.ServiceEnvironment["RabbitMq__ConnectTimeoutSeconds"] = "3";
        var input = pipeline.WriteInput("other-name.txt", "one line\n"u8.ToArray());

        var (code, producer) = await pipeline.PublishAsync(input, TimeSpan.FromSeconds(60));

        Assert.True(code == 3, producer.Describe());
        Assert.Contains($"not issued for the name '{OtherHost}'", producer.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(input + ".out"));
    }

    [Fact]
    public async Task PublishWait_AmqpsCertificateForAnotherNameTrustedBySystem_RefusesItAndExitsThree()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        // The CA as the system's trust store (OpenSSL's SSL_CERT_FILE, which .NET reads on Linux), no CaCertificateFile:
        // the chain is trusted, so only the name can fail. RabbitMQ.Client's URI setter alone accepts a name mismatch.
        pipeline.ServiceEnvironment["SSL_CERT_FILE"] = broker.CaCertificatePath;
        pipeline.ServiceEnvironment["RabbitMq__ConnectTimeoutSeconds"] = "3";
        var input = pipeline.WriteInput("system-trust.txt", "one line\n"u8.ToArray());

        pipeline.ServiceUri = OtherName(AmqpUris.WithVhost(broker.AmqpsUri, pipeline.Vhost));
        var (code, producer) = await pipeline.PublishAsync(input, TimeSpan.FromSeconds(60));

        Assert.True(code == 3, producer.Describe());
        Assert.Contains($"not issued for the name '{OtherHost}'", producer.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("chain is not trusted", producer.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(input + ".out"));

        // The same trust and the certificate's own name: it connects (the refusal above was the name alone).
        pipeline.ServiceUri = AmqpUris.WithVhost(broker.AmqpsUri, pipeline.Vhost).ToString();
        var consumer = await pipeline.StartConsumerAsync("identity");
        var (goodCode, goodProducer) = await pipeline.PublishAsync(input, TimeSpan.FromSeconds(60));
        Assert.True(goodCode == 0, goodProducer.Describe());
        consumer.Terminate();
        await consumer.WaitForExitAsync(TimeSpan.FromSeconds(30));
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

    /// <summary>A loopback address the node listens on that its certificate (localhost, 127.0.0.1) does not name.</summary>
    private const string OtherHost = "127.0.0.2";

    private static string OtherName(Uri uri) => new UriBuilder(uri) { Host = OtherHost }.Uri.ToString();

    [GeneratedRegex("certificate|SSL|TLS|authentication", RegexOptions.IgnoreCase)]
    private static partial Regex CertificateProblem();
}
