using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Diagnostics;

namespace Streaming.IntegrationTests.Faults;

/// <summary>The producer (and the collector inside it) killed with SIGKILL at named moments, then run again with the
/// same arguments: the second run resumes and the ledger balances.</summary>
[Collection(BrokerCollection.Name)]
public sealed class ProducerCrashTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(150);

    [Theory]
    [InlineData(FaultInjection.ProducerAfterBatchConfirmed + "@5")]
    [InlineData(FaultInjection.ProducerAfterBatchConfirmed + "@60")]
    [InlineData(FaultInjection.CollectorAfterWrite + "@40")]
    [InlineData(FaultInjection.CollectorAfterCheckpoint + "@1")]
    public async Task PublishWait_ProducerKilledAtPointThenRunAgain_FinishesWithExactOutputAndEmptyQueues(string point)
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        var input = pipeline.WriteInput("crashed.txt", content);
        await pipeline.StartConsumerAsync("slow:5", TestPipeline.TestConsumer, extra: ["--concurrency", "8"]);
        await pipeline.StartConsumerAsync("slow:5", TestPipeline.TestConsumer, extra: ["--concurrency", "8"]);

        var doomed = pipeline.StartPublish([input], new Dictionary<string, string?> { [FaultInjection.EnvironmentVariable] = point },
            "--batch-lines", "100");
        var crash = await doomed.WaitForExitAsync(s_run);
        Assert.True(crash != 0 && doomed.StandardError.Contains("fault injection", StringComparison.Ordinal), doomed.Describe());

        var verbose = new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Information" };
        var again = pipeline.StartPublish([input], verbose, "--batch-lines", "100");
        var code = await again.WaitForExitAsync(s_run);

        Assert.True(code == 0, again.Describe());
        Assert.Contains("resumes at line", again.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }
}
