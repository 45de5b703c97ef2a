using System.Diagnostics;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Watching;

/// <summary>
/// How soon the watch service acts: on the inbox's events rather than at its next listing, on a writer's rename from
/// an ignored name rather than after the quiet period, and on a finished file's free slot at once. Each service here
/// lists the inbox only every 60 s, so anything faster comes from events.
/// </summary>
[Collection(WatchCollection.Name)]
public sealed class WatchPromptnessTests(RabbitMqBroker broker)
{
    private static readonly Dictionary<string, string?> s_rareListing = new() { ["Watch__PollIntervalMilliseconds"] = "60000" };

    [Fact]
    public async Task Watch_FileRenamedFromAHiddenName_TakenWithoutWaitingForTheQuietPeriod()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("upper");
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?>(s_rareListing) { ["Watch__QuietPeriodMilliseconds"] = "30000" });

        var clock = Stopwatch.StartNew();
        harness.Drop("ready.txt", "written whole, then renamed\n"u8.ToArray());
        await harness.WaitForDoneAsync("ready.txt", watcher, TimeSpan.FromSeconds(20));

        // Done well inside the 30 s quiet period: the rename made it complete. (A listing that runs between the rename
        // and its event may log "seen; waiting" first, 1 run in 6 in CI; the event still ends the wait.)
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal("WRITTEN WHOLE, THEN RENAMED\n", await File.ReadAllTextAsync(harness.OutputOf("ready.txt")));
    }

    [Fact]
    public async Task Watch_FilesWrittenInPlaceOneSlot_EachTakenAfterItsQuietPeriodAndTheNextAsSoonAsTheSlotFrees()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("identity");
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?>(s_rareListing)
        {
            ["Watch__QuietPeriodMilliseconds"] = "500",
            ["Watch__FilesAtOnce"] = "1",
        });
        Directory.CreateDirectory(harness.Inbox);

        var names = Enumerable.Range(1, 6).Select(i => $"plain-{i}.txt").ToList();
        foreach (var name in names)
        {
            await File.WriteAllTextAsync(Path.Combine(harness.Inbox, name), $"{name} written in place\n");
        }
        foreach (var name in names)
        {
            await harness.WaitForDoneAsync(name, watcher, TimeSpan.FromSeconds(40));
        }

        foreach (var name in names)
        {
            Assert.Equal($"{name} written in place\n", await File.ReadAllTextAsync(harness.OutputOf(name)));
            await watcher.WaitForOutputAsync($"Inbox: {name} seen; waiting", WatchHarness.LogWait);
        }
        Assert.Empty(WatchHarness.List(harness.Inbox));
        Assert.Empty(WatchHarness.List(harness.Failed));
    }
}
