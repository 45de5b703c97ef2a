using System.Diagnostics;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Watching;

[Collection(WatchCollection.Name)]
public sealed class WatchScalingTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task Watch_ConsumersAddedAndRemovedMidFile_OutputUnchangedAndEveryRemovedOneExitsZeroWithinThirtySeconds()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 60_000);
        var total = ReferenceOutput.SplitLines(content).Count;
        var fleet = new List<ServiceProcess> { await StartConsumerAsync(harness) };
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Producer__BatchLines"] = "500" });
        var stops = new List<(int Exit, TimeSpan Took, ServiceProcess Consumer)>();

        harness.Drop("scaled.txt", content);
        await harness.WaitForCheckpointAsync("scaled.txt", total / 10, watcher);
        fleet.Add(await StartConsumerAsync(harness));
        fleet.Add(await StartConsumerAsync(harness));
        await harness.WaitForCheckpointAsync("scaled.txt", total * 3 / 10, watcher);
        stops.Add(await StopAsync(fleet[0]));
        await harness.WaitForCheckpointAsync("scaled.txt", total / 2, watcher);
        fleet.Add(await StartConsumerAsync(harness));
        stops.Add(await StopAsync(fleet[1]));
        await harness.WaitForCheckpointAsync("scaled.txt", total * 7 / 10, watcher);
        stops.Add(await StopAsync(fleet[2]));
        await harness.WaitForDoneAsync("scaled.txt", watcher);

        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(harness.OutputOf("scaled.txt")));
        foreach (var (exit, took, consumer) in stops)
        {
            Assert.True(exit == 0, consumer.Describe());
            Assert.True(took < TimeSpan.FromSeconds(30), $"a consumer took {took.TotalSeconds:0.0} s to stop");
        }
        Assert.Equal(total, harness.SummaryOf("scaled.txt").GetProperty("lines").GetInt64());
    }

    private static Task<ServiceProcess> StartConsumerAsync(WatchHarness harness) =>
        harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "10"]);

    private static async Task<(int, TimeSpan, ServiceProcess)> StopAsync(ServiceProcess consumer)
    {
        var clock = Stopwatch.StartNew();
        consumer.Terminate();
        var exit = await consumer.WaitForExitAsync(TimeSpan.FromSeconds(45));
        return (exit, clock.Elapsed, consumer);
    }
}
