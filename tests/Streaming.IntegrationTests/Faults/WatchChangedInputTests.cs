using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.IntegrationTests.Watching;
using Streaming.Messaging.Diagnostics;

namespace Streaming.IntegrationTests.Faults;

/// <summary>A file the watch service had begun, replaced in <c>processing/</c> by another of the same length and
/// modification time while the service was down: the service cannot ask anyone, so it starts the file over instead of
/// resuming into an output made from other content.</summary>
[Collection(WatchCollection.Name)]
public sealed class WatchChangedInputTests(RabbitMqBroker broker)
{
    private static readonly Dictionary<string, string?> s_smallBatches = new()
    {
        ["Producer__BatchLines"] = "200",
        ["Logging__LogLevel__Default"] = "Information",
    };

    [Fact]
    public async Task Watch_FileRewrittenInProcessingWhileDown_StartsItOverAndTheOutputIsTheNewContent()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        await harness.Pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);

        var first = await harness.StartWatchAsync(new Dictionary<string, string?>(s_smallBatches)
        {
            [FaultInjection.EnvironmentVariable] = FaultInjection.CollectorAfterCheckpoint + "@1",
        });
        harness.Drop("rewritten.txt", content);
        Assert.NotEqual(0, await first.WaitForExitAsync(WatchHarness.Run));
        var begun = Path.Combine(harness.Processing, "rewritten.txt");
        Assert.True(File.Exists(begun), first.Describe());

        // Another file of the same length under the same name and modification time, as `cp -p` leaves it.
        var written = File.GetLastWriteTimeUtc(begun);
        var changed = (byte[])content.Clone();
        var letter = Array.FindIndex(changed, b => b is >= (byte)'a' and <= (byte)'z');
        changed[letter] = (byte)(changed[letter] - 32);
        await File.WriteAllBytesAsync(begun, changed);
        File.SetLastWriteTimeUtc(begun, written);

        var second = await harness.StartWatchAsync(s_smallBatches);
        await harness.WaitForDoneAsync("rewritten.txt", second);

        Assert.Contains("the input changed since its checkpoint", second.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("resumes at line", second.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(Path.Combine(harness.Outbox, "rewritten.txt"), changed, "identity");
        await Ledger.AssertQueuesDrainedAsync(harness.Pipeline);
        Assert.False(second.HasExited, second.Describe());
    }
}
