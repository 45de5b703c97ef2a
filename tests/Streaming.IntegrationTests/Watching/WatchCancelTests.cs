using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Watching;

/// <summary>
/// A file removed from processing/ is cancelled all the way: nothing more is published, the consumers skip its
/// queued batches without running the processor (the fleet idle within 5 s), and nothing of it is left in outbox/,
/// processing/ or the broker.
/// </summary>
[Collection(WatchCollection.Name)]
public sealed class WatchCancelTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_fleetFreed = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Watch_MillionLineFileRemovedAtTwentyPercent_FleetIdleWithinFiveSecondsAndNothingLeft()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        // Two consumers at about 8,000 lines/s each: the 32 batches of 10,000 lines a window of 32 keeps out are 20 s
        // of work, which the cancel must spare them.
        var consumers = new[]
        {
            await harness.Pipeline.StartConsumerAsync("delay:1", extra: ["--concurrency", "8"]),
            await harness.Pipeline.StartConsumerAsync("delay:1", extra: ["--concurrency", "8"]),
        };
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Watch__Window"] = "32" });
        harness.Drop("big.txt", CancelledWork.Lines(1_000_000));
        await harness.WaitForCheckpointAsync("big.txt", 200_000, watcher);

        var removed = DateTime.Now;
        File.Delete(Path.Combine(harness.Processing, "big.txt"));
        await watcher.WaitForOutputAsync("Cancelled: big.txt was removed from processing/", s_settle);
        var cancelLogged = DateTime.Now - removed;
        var freed = await CancelledWork.WaitUntilFreedAsync(harness.Pipeline, removed, consumers, s_settle);

        Console.WriteLine($"cancel of big.txt: logged {cancelLogged.TotalSeconds:0.00} s and the fleet freed {freed.TotalSeconds:0.00} s after the removal");
        Assert.True(freed <= s_fleetFreed, $"the fleet was freed {freed.TotalSeconds:0.00} s after the removal");
        Assert.True(consumers.Sum(CancelledWork.SkippedForCancel) > 0, string.Concat(consumers.Select(c => c.Describe())));
        Assert.Empty(WatchHarness.List(harness.Outbox));
        Assert.Empty(WatchHarness.List(harness.Processing));
        Assert.Empty(WatchHarness.List(harness.Failed));
        // Left in the broker: the watcher's own results queue (it serves every file), nothing for big.txt.
        var others = await CancelledWork.OtherQueuesAsync(harness.Pipeline);
        Assert.True(others.Count == 1 && others[0].StartsWith("streaming.results.", StringComparison.Ordinal), string.Join(", ", others));
        Assert.False(watcher.HasExited, watcher.Describe());
    }

    [Fact]
    public async Task Watch_ConsumerStartedAfterTheCancel_SkipsTheQueuedBatchesWithoutRunningThem()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var watcher = await harness.StartWatchAsync();
        // No consumer yet: the window's 16 batches (the whole file) wait in the queue.
        harness.Drop("late.txt", CancelledWork.Lines(160_000));
        await CancelledWork.WaitForQueuedAsync(harness.Pipeline, 16, s_settle);
        File.Delete(Path.Combine(harness.Processing, "late.txt"));
        await watcher.WaitForOutputAsync("Cancelled: late.txt was removed from processing/", s_settle);

        // Running them would take 16 × 10,000 lines × 1 ms / 2 = 80 s; a batch takes 5 s.
        var consumer = await harness.Pipeline.StartConsumerAsync("delay:1", extra: ["--concurrency", "2"]);
        var started = DateTime.Now;
        var freed = await CancelledWork.WaitUntilFreedAsync(harness.Pipeline, started, [consumer], s_settle);

        Console.WriteLine($"a consumer started after the cancel: freed {freed.TotalSeconds:0.00} s after it consumed");
        Assert.True(freed <= s_fleetFreed, $"freed {freed.TotalSeconds:0.00} s after the consumer started");
        Assert.Equal(16, CancelledWork.SkippedForCancel(consumer));
        Assert.Empty(WatchHarness.List(harness.Outbox));
    }
}
