using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

[Collection(BrokerCollection.Name)]
public sealed class ProducerResumeTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task PublishWait_ProducerKilledMidFileThenRunAgain_ResumesFromTheCheckpointWithExactOutput()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        var input = pipeline.WriteInput("resumed.txt", content);
        // About 2,500 lines/s: the file takes about 5 s, so the once-a-second checkpoint passes line 2000 well before
        // the end (at 10,000 lines/s the whole file took 1.8 s and the checkpoint past 2000 could be the final one).
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "5"]);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "5"]);

        var first = pipeline.StartPublish([input], "--batch-lines", "100");
        var checkpointLine = await Checkpoints.WaitForLineAsync(input, minimumLine: 2000, first);
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var verbose = new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Information" };
        var second = pipeline.StartPublish([input], verbose, "--batch-lines", "100");
        var code = await second.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(code == 0, second.Describe());
        Assert.Contains("resumes at line", second.StandardError, StringComparison.Ordinal);
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
        Assert.True(checkpointLine > 1);
        Assert.False(File.Exists(input + ".checkpoint.json"));
    }
}
