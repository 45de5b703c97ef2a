using System.Diagnostics;
using System.Text;
using Streaming.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Watching;

[Collection(WatchCollection.Name)]
public sealed class WatchFairnessTests(RabbitMqBroker broker, ITestOutputHelper output)
{
    [Fact]
    public async Task Watch_SmallFileDroppedWhileALargeOneIsInFlight_FinishesFirstWithinSeconds()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var large = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 60_000).Select(i => $"large {i}\n")));
        var small = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 10).Select(i => $"small {i}\n")));
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "10"]);
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?>
        {
            ["Producer__BatchLines"] = "1000",
            ["Watch__Window"] = "8",
        });

        harness.Drop("large.txt", large);
        await harness.WaitForCheckpointAsync("large.txt", 5_000, watcher);
        var clock = Stopwatch.StartNew();
        harness.Drop("small.txt", small);
        await harness.WaitForDoneAsync("small.txt", watcher);
        var smallTook = clock.Elapsed;
        var largeStillInFlight = File.Exists(Path.Combine(harness.Processing, "large.txt"));
        var largeLineThen = harness.CheckpointLine("large.txt");
        await harness.WaitForDoneAsync("large.txt", watcher);

        output.WriteLine($"small.txt finished {smallTook.TotalSeconds:0.0} s after it was dropped; large.txt was at line {largeLineThen} of 60000");
        Assert.True(largeStillInFlight, "the small file should not have waited for the large one");
        Assert.True(largeLineThen < 55_000, $"the large file was nearly done already (line {largeLineThen})");
        Assert.True(smallTook < TimeSpan.FromSeconds(20), $"the 10-line file took {smallTook.TotalSeconds:0.0} s");
        Assert.Equal(small, File.ReadAllBytes(harness.OutputOf("small.txt")));
        Assert.Equal(large, File.ReadAllBytes(harness.OutputOf("large.txt")));
    }
}
