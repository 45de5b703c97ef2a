using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.IntegrationTests.Watching;

namespace Streaming.IntegrationTests.Compression;

/// <summary>Compressed inputs dropped into the watched folder: a good one is processed like any file, a damaged one goes
/// to failed/ with where the damage is, and neither leaves anything in the outbox that looks complete.</summary>
[Collection(WatchCollection.Name)]
public sealed class CompressedWatchTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task Watch_GzipAndZstdDropped_GoodOnesDoneExactDamagedOneFailedWithWhere()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 8_000);
        await harness.Pipeline.StartConsumerAsync("sha256");
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Producer__BatchLines"] = "300" });

        harness.Drop("rotated.log.gz", CompressedContent.Gzip(content, members: 3));
        harness.Drop("export.zst", CompressedContent.Zstd(content, frames: 2));
        harness.Drop("cut-short.gz", CompressedContent.Truncated(CompressedContent.Gzip(content, members: 1), 0.5));

        await harness.WaitForDoneAsync("rotated.log.gz", watcher);
        await harness.WaitForDoneAsync("export.zst", watcher);
        await WatchHarness.WaitUntilAsync(
            () => File.Exists(Path.Combine(harness.Failed, "cut-short.gz.reason")), WatchHarness.Run, "cut-short.gz in failed/", watcher);

        var expected = ReferenceOutput.OutputFile("sha256", content);
        Assert.Equal(expected, File.ReadAllBytes(harness.OutputOf("rotated.log.gz")));
        Assert.Equal(expected, File.ReadAllBytes(harness.OutputOf("export.zst")));
        var reason = File.ReadAllText(Path.Combine(harness.Failed, "cut-short.gz.reason"));
        Assert.Contains("the gzip input is damaged near byte ", reason, StringComparison.Ordinal);
        Assert.Contains("Unexpected EOF", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(WatchHarness.List(harness.Outbox), name => name.StartsWith("cut-short.gz", StringComparison.Ordinal));
    }
}
