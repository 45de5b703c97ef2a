using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Watching;

[Collection(WatchCollection.Name)]
public sealed class WatchResumeTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task Watch_KilledNineAtHalfAFile_RestartResumesFromTheCheckpointAndFinishesExactlyOnce()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 60_000);
        var total = ReferenceOutput.SplitLines(content).Count;
        var settings = new Dictionary<string, string?> { ["Producer__BatchLines"] = "500" };
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "10"]);
        var killed = await harness.StartWatchAsync(settings);

        harness.Drop("half.txt", content);
        var checkpointLine = await harness.WaitForCheckpointAsync("half.txt", total / 2, killed);
        killed.Kill();
        await killed.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var restarted = await harness.StartWatchAsync(settings);
        await harness.WaitForDoneAsync("half.txt", restarted);

        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(harness.OutputOf("half.txt")));
        var summary = harness.SummaryOf("half.txt");
        Assert.Equal(total, summary.GetProperty("lines").GetInt64());
        var republished = summary.GetProperty("linesRepublished").GetInt64();
        Assert.True(checkpointLine < total, $"killed too late: checkpoint at line {checkpointLine} of {total}");
        Assert.True(republished > 0, "batches published by the killed run past its checkpoint are published again");
        Assert.True(republished < total / 2, $"{republished} lines re-published: the restart should resume, not start over");
        await restarted.WaitForOutputAsync("resuming half.txt", WatchHarness.LogWait);
        await restarted.WaitForOutputAsync("resumes at line", WatchHarness.LogWait);
        Assert.Equal(["half.txt.out", "half.txt.summary.json"], WatchHarness.List(harness.Outbox));
        Assert.Equal(["half.txt"], WatchHarness.List(harness.Done));
        Assert.Empty(WatchHarness.List(harness.Processing));
    }

    [Fact]
    public async Task Watch_RestartedOnAnotherPipeline_StartsTheFileOverOnItsNewPipelineWithoutMixingFleets()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 20_000).Select(i => $"moved line {i}\n")));
        var old = harness.Pipeline.StartConsumer("delay:4", extra: ["--pipeline", "old", "--concurrency", "10"]);
        await old.WaitForOutputAsync("Consuming streaming.lines.old with", TimeSpan.FromSeconds(90));
        var killed = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Producer__BatchLines"] = "500", ["Producer__Pipeline"] = "old" });

        harness.Drop("moved.txt", content);
        await harness.WaitForCheckpointAsync("moved.txt", 2000, killed);
        killed.Kill();
        await killed.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var fleet = harness.Pipeline.StartConsumer("upper", extra: ["--pipeline", "new"]);
        await fleet.WaitForOutputAsync("Consuming streaming.lines.new with", TimeSpan.FromSeconds(90));
        var restarted = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Producer__BatchLines"] = "500", ["Producer__Pipeline"] = "new" });
        await harness.WaitForDoneAsync("moved.txt", restarted);

        // Every line by the new pipeline's fleet (upper): none of the old one's output (identity) was kept.
        Assert.Equal(ReferenceOutput.OutputFile("upper", content), File.ReadAllBytes(harness.OutputOf("moved.txt")));
        await restarted.WaitForOutputAsync("its checkpoint was made on pipeline 'old', this run is on pipeline 'new'; starting it over", WatchHarness.LogWait);
    }
}
