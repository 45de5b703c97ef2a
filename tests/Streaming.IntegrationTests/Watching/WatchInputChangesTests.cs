using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Watching;

/// <summary>What becomes of a file in processing/ that is removed or truncated while its job runs.</summary>
[Collection(WatchCollection.Name)]
public sealed class WatchInputChangesTests(RabbitMqBroker broker)
{
    private static readonly Dictionary<string, string?> s_smallBatches = new() { ["Producer__BatchLines"] = "200" };
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Watch_InputRemovedFromProcessingMidRun_CancelledWithNothingInOutboxAndNoReasonInFailed()
    {
        // The finding: the job went on reading its open input, completed the output, then failed the move to done/:
        // a complete output and a failed/ reason for the same file.
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "4"]);
        var watcher = await harness.StartWatchAsync(s_smallBatches);
        harness.Drop("removed.txt", EdgeCaseInput.Create(fillerLines: 40_000));
        await harness.WaitForCheckpointAsync("removed.txt", 1_000, watcher);

        File.Delete(Path.Combine(harness.Processing, "removed.txt"));
        await watcher.WaitForOutputAsync("Cancelled: removed.txt was removed from processing/", s_settle);
        harness.Drop("after.txt", "next\n"u8.ToArray());
        await harness.WaitForDoneAsync("after.txt", watcher);

        Assert.Equal(["after.txt.out", "after.txt.summary.json"], WatchHarness.List(harness.Outbox));
        Assert.Empty(WatchHarness.List(harness.Failed));
        Assert.Equal(["after.txt"], WatchHarness.List(harness.Done));
        Assert.Empty(WatchHarness.List(harness.Processing));
        Assert.DoesNotContain("   at ", watcher.StandardError, StringComparison.Ordinal);
        Assert.False(watcher.HasExited, watcher.Describe());
    }

    [Fact]
    public async Task Watch_InputTruncatedAfterACheckpoint_FailedOnceWithTheReasonAndNoStackTrace()
    {
        // The finding: the fingerprint of the checkpoint threw "the input ends at …" with a stack trace every second.
        await using var harness = await WatchHarness.CreateAsync(broker);
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "4"]);
        var watcher = await harness.StartWatchAsync(s_smallBatches);
        harness.Drop("shrinking.txt", EdgeCaseInput.Create(fillerLines: 40_000));
        await harness.WaitForCheckpointAsync("shrinking.txt", 1_000, watcher);

        await using (var input = new FileStream(Path.Combine(harness.Processing, "shrinking.txt"), FileMode.Open, FileAccess.Write))
        {
            input.SetLength(100);
        }
        var reasonFile = Path.Combine(harness.Failed, "shrinking.txt.reason");
        await WatchHarness.WaitUntilAsync(() => File.Exists(reasonFile), s_settle, "shrinking.txt.reason", watcher);
        await Task.Delay(TimeSpan.FromSeconds(3));     // several checkpoint intervals: a loop would show by now

        Assert.Equal(["shrinking.txt", "shrinking.txt.reason"], WatchHarness.List(harness.Failed));
        Assert.Contains("shrank while it was being processed", await File.ReadAllTextAsync(reasonFile), StringComparison.Ordinal);
        Assert.DoesNotContain(WatchHarness.List(harness.Outbox), name => name.StartsWith("shrinking.txt", StringComparison.Ordinal));
        Assert.Empty(WatchHarness.List(harness.Processing));
        Assert.Empty(WatchHarness.List(harness.Done));
        Assert.DoesNotContain("   at ", watcher.StandardError, StringComparison.Ordinal);
        Assert.Single(watcher.StandardError.Split('\n'), line => line.Contains("Failed: shrinking.txt", StringComparison.Ordinal));
        Assert.False(watcher.HasExited, watcher.Describe());
    }
}
