using System.Globalization;
using System.Text;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// RabbitMQ 4's 16 MiB <c>max_message_size</c> as the broker's own default (CI: the shared 4.0.5 container; no
/// <c>set_env</c>, unlike <see cref="OversizedResultTests"/>, which sets 3.10's limit to 4.x's): a result over it goes
/// in parts below it, and a line whose own output passes it fails alone while the rest of the file is written. A part
/// or line sent whole would be refused by a 4.x broker (406, the publishing channel closed).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerMessageLimitTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task PublishWait_ResultOfTwentyMegabytes_SentInPartsBelowTheBrokersLimitAndOutputIsExact()
    {
        await using var pipeline = await CreatePipelineAsync();
        // sha256 gives 64 bytes a line whatever its length: 320,000 short lines in one batch make a 20.7 MB result.
        var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 320_000).Select(i => i.ToString(CultureInfo.InvariantCulture) + "\n")));
        var input = pipeline.WriteInput("big result.txt", content);

        var consumer = await pipeline.StartConsumerAsync("sha256");
        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "320000", "--batch-bytes", "8388608");

        Assert.True(code == 0, producer.Describe());
        // The consumer's logger writes from a queue of its own: its line may come a moment after the output is complete.
        await consumer.WaitForOutputAsync("passes the 16773120-byte message limit; sent in 2 parts", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("larger than configured max size", consumer.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("closed the publishing channel", consumer.StandardError, StringComparison.Ordinal);
        Assert.False(consumer.HasExited, consumer.Describe());
        Ledger.AssertOutput(input, content, "sha256");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_LineWhoseOutputPassesTheBrokersLimit_FailsAloneAndTheFileGoesOn()
    {
        await using var pipeline = await CreatePipelineAsync();
        // Line 51 (6 MiB, under the 8 MiB line limit) comes out three times over: 18 MiB, more than one message takes.
        const int bigLine = 51;
        var big = "BIG " + new string('x', 6 * 1024 * 1024);
        var lines = Enumerable.Range(1, 100).Select(i => i == bigLine ? big : $"line {i}");
        var content = Encoding.ASCII.GetBytes(string.Concat(lines.Select(l => l + "\n")));
        var input = pipeline.WriteInput("big line.txt", content);

        var consumer = await pipeline.StartConsumerAsync("triple:BIG", TestPipeline.TestConsumer);
        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "10");

        Assert.True(code == 1, producer.Describe());
        Assert.DoesNotContain("larger than configured max size", consumer.StandardError, StringComparison.Ordinal);
        Assert.False(consumer.HasExited, consumer.Describe());
        Ledger.AssertOutput(input, content, "identity", failing: new HashSet<long> { bigLine });
        var error = Assert.Single(TestPipeline.ReadErrors(input));
        Assert.Equal(bigLine, error.Line);
        Assert.Contains($"its output of {3 * big.Length} bytes is more than one result message may carry", error.Error, StringComparison.Ordinal);
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    private async Task<TestPipeline> CreatePipelineAsync()
    {
        var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["RabbitMq__PublishTimeoutSeconds"] = "10";
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        return pipeline;
    }
}
