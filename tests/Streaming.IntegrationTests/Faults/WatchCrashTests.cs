using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.IntegrationTests.Watching;
using Streaming.Messaging.Diagnostics;
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
}
