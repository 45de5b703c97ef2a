using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.IntegrationTests.Watching;
using Streaming.Messaging.Diagnostics;
using Streaming.Messaging.Topology;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Faults;

/// <summary>The watch service killed with SIGKILL mid-file — once at a named crash point, once at a seeded random
/// moment — and started again each time: the file finishes with byte-exact output and every queue empty.</summary>
[Collection(WatchCollection.Name)]
public sealed class WatchCrashTests(RabbitMqBroker broker, ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> s_smallBatches = new() { ["Producer__BatchLines"] = "200" };

    [Fact]
    public async Task Watch_KilledAtACrashPointThenAtARandomMomentAndRestarted_FinishesTheFileExactlyWithEmptyQueues()
    {
        var seed = TestSeed.Next();
        output.WriteLine($"seed {seed} (set {TestSeed.Variable}={seed} to replay)");
        var random = new Random(seed);
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 24_000);
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);

        var first = await harness.StartWatchAsync(new Dictionary<string, string?>(s_smallBatches)
        {
            [FaultInjection.EnvironmentVariable] = FaultInjection.CollectorAfterCheckpoint + "@2",
        });
        harness.Drop("crashing.txt", content);
        Assert.NotEqual(0, await first.WaitForExitAsync(WatchHarness.Run));
        Assert.Contains("fault injection", first.StandardError, StringComparison.Ordinal);

        var second = await harness.StartWatchAsync(s_smallBatches);
        await second.WaitForOutputAsync("resumes at line", TimeSpan.FromSeconds(60));
        await Task.Delay(random.Next(300, 2500));
        Assert.False(File.Exists(Path.Combine(harness.Done, "crashing.txt")), "the file finished before the second kill");
        second.Kill();
        await second.WaitForExitAsync(TimeSpan.FromSeconds(10));

        var third = await harness.StartWatchAsync(s_smallBatches);
        await harness.WaitForDoneAsync("crashing.txt", third);

        Assert.Contains("resumes at line", third.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(Path.Combine(harness.Outbox, "crashing.txt"), content, "identity");
        await Ledger.AssertQueuesDrainedAsync(harness.Pipeline);
        Assert.False(third.HasExited, third.Describe());
    }

    /// <summary>The watch service writes a file's first checkpoint only after the checkpoint interval (a small file never
    /// writes one). Killed before then, it leaves no checkpoint naming its results queue: the next start starts the file
    /// over and forgets that queue through the data folder's record, else the consumers' results for the first run's
    /// batches would wait there until it expires, a day later.</summary>
    [Fact]
    public async Task Watch_KilledBeforeAFilesFirstCheckpointAndRestarted_StartsItOverAndLeavesNoResultsBehind()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 400);
        var settings = new Dictionary<string, string?>
        {
            ["Producer__BatchLines"] = "100",
            ["Producer__CheckpointMilliseconds"] = "600000",
        };
        var first = await harness.StartWatchAsync(settings);
        harness.Drop("early.txt", content);
        // No consumer yet: the batches wait in the work queue.
        var deadline = DateTime.UtcNow + WatchHarness.Run;
        while ((await Ledger.QueueCountsAsync(harness.Pipeline)).GetValueOrDefault(QueueNames.Work) < 4)
        {
            Assert.True(DateTime.UtcNow < deadline && !first.HasExited, "the batches were not queued: " + first.Describe());
            await Task.Delay(100);
        }
        Assert.False(File.Exists(Path.Combine(harness.Outbox, "early.txt.checkpoint.json")), "a checkpoint before its interval");
        Assert.False(File.Exists(Path.Combine(harness.Outbox, "early.txt.published")), "a watermark before the first checkpoint");
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));

        var second = await harness.StartWatchAsync(settings);
        await harness.Pipeline.StartConsumerAsync("identity");
        await harness.WaitForDoneAsync("early.txt", second);

        Assert.DoesNotContain("resumes at line", second.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(Path.Combine(harness.Outbox, "early.txt"), content, "identity");
        await Ledger.AssertQueuesDrainedAsync(harness.Pipeline);
    }
}
