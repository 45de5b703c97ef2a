using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.IntegrationTests.Watching;

namespace Streaming.IntegrationTests.Redrive;

/// <summary>The watch service's <c>redrive/</c>: an errors file from outbox/ dropped there runs its lines again.</summary>
[Collection(WatchCollection.Name)]
public sealed class RedriveWatchTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task Watch_ErrorsFileDroppedIntoRedrive_FixedWorkerRunsThemAndTheOutboxIsClean()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = RedriveInput.Create(fillerLines: 2000, every: 61);
        var failing = await harness.Pipeline.StartConsumerAsync("throw:" + RedriveInput.Marker, TestPipeline.TestConsumer);
        var watcher = await harness.StartWatchAsync();
        harness.Drop("daily.log", content);
        await harness.WaitForDoneAsync("daily.log", watcher);
        var errors = Path.Combine(harness.Outbox, "daily.log.errors.jsonl");
        Assert.Equal(RedriveInput.LinesWith(content, RedriveInput.Marker).Count, File.ReadLines(errors).Count());
        failing.Terminate();
        Assert.True(await failing.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, failing.Describe());
        await harness.Pipeline.StartConsumerAsync("identity");

        var drop = Path.Combine(harness.Data, "redrive", "daily.log.errors.jsonl");
        File.Move(errors, drop);
        await WatchHarness.WaitUntilAsync(
            () => !File.Exists(drop) && !Directory.Exists(Path.Combine(harness.Outbox, "daily.log.redrive")),
            WatchHarness.Run, "the drop in redrive/ done", watcher);

        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(harness.OutputOf("daily.log")));
        Assert.Equal(["daily.log.out", "daily.log.summary.json"], WatchHarness.List(harness.Outbox));
        Assert.Equal(2, harness.SummaryOf("daily.log").GetProperty("attempts").GetArrayLength());
        Assert.Empty(WatchHarness.List(harness.Failed));
        await watcher.WaitForOutputAsync("Redrive: daily.log done", TimeSpan.FromSeconds(30));
    }
}
