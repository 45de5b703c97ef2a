using System.IO.Compression;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.IntegrationTests.Watching;
using ZstdSharp;

namespace Streaming.IntegrationTests.Compression;

/// <summary><c>--compress gzip|zstd</c> and <c>Watch:Compress</c>: <c>&lt;name&gt;.out.gz</c> or <c>.out.zst</c>, which
/// decompresses to the exact bytes of the uncompressed output, also after a kill -9 and resume.</summary>
[Collection(CompressionCollection.Name)]
public sealed class CompressedOutputTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("gzip", ".gz")]
    [InlineData("zstd", ".zst")]
    public async Task PublishWait_Compress_WritesOnlyTheCompressedOutputThatDecompressesExactly(string compress, string suffix)
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var input = pipeline.WriteInput("report.log", content);
        await pipeline.StartConsumerAsync("sha256");

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "700", "--compress", compress);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("sha256", content), Decompress(File.ReadAllBytes(input + ".out" + suffix), compress));
        Assert.False(File.Exists(input + ".out"));
        Assert.Contains(input + ".out" + suffix, producer.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishWait_CompressedOutputProducerKilledMidFileThenRunAgain_DecompressesExactly()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        var input = pipeline.WriteInput("resumed.txt", content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "5"]);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "5"]);

        var first = pipeline.StartPublish([input], "--batch-lines", "100", "--compress", "gzip");
        await Checkpoints.WaitForLineAsync(input, minimumLine: 2000, first);
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var verbose = new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Information" };
        var second = pipeline.StartPublish([input], verbose, "--batch-lines", "100", "--compress", "gzip");
        var code = await second.WaitForExitAsync(s_run);

        Assert.True(code == 0, second.Describe());
        Assert.Contains("resumes at line", second.StandardError, StringComparison.Ordinal);
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), Decompress(File.ReadAllBytes(input + ".out.gz"), "gzip"));
    }

    [Fact]
    public async Task PublishWait_ResumedInAnotherCompression_StartsOverAndLeavesNoOtherOutput()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        var input = pipeline.WriteInput("switched.txt", content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "5"]);

        var first = pipeline.StartPublish([input], "--batch-lines", "100", "--compress", "zstd");
        await Checkpoints.WaitForLineAsync(input, minimumLine: 500, first);
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var verbose = new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Information" };
        var second = pipeline.StartPublish([input], verbose, "--batch-lines", "100");
        var code = await second.WaitForExitAsync(s_run);

        Assert.True(code == 0, second.Describe());
        Assert.Contains("its output was compressed with zstd, this run's with none", second.StandardError, StringComparison.Ordinal);
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
        Assert.Empty(Directory.GetFiles(pipeline.Directory, "switched.txt.out.zst*"));
    }

    [Theory]
    [InlineData("--compress", "bzip2", "--compress 'bzip2' is not none, gzip or zstd")]
    [InlineData("--compress", "", "--compress '' is not none, gzip or zstd")]
    public async Task Publish_UnknownCompression_ExitsTwoWithOneLine(string flag, string value, string expected)
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var input = pipeline.WriteInput("any.txt", "a\n"u8.ToArray());

        var (code, producer) = await pipeline.PublishAsync(input, s_run, flag, value);

        Assert.True(code == 2, producer.Describe());
        Assert.Contains(expected, Assert.Single(producer.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    internal static byte[] Decompress(byte[] compressed, string format)
    {
        using var source = new MemoryStream(compressed);
        using Stream decompressor = format == "gzip" ? new GZipStream(source, CompressionMode.Decompress) : new DecompressionStream(source);
        using var result = new MemoryStream();
        decompressor.CopyTo(result);
        return result.ToArray();
    }
}

/// <summary><c>Watch:Compress</c> writes the outbox's outputs compressed; a value it does not know is exit 2.</summary>
[Collection(WatchCollection.Name)]
public sealed class CompressedWatchOutputTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task Watch_CompressZstd_OutboxHoldsTheCompressedOutputOnly()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 5_000);
        await harness.Pipeline.StartConsumerAsync("identity");
        var watcher = await harness.StartWatchAsync(new Dictionary<string, string?> { ["Watch__Compress"] = "zstd" });

        harness.Drop("daily.log", content);
        await WatchHarness.WaitUntilAsync(
            () => File.Exists(Path.Combine(harness.Done, "daily.log")), WatchHarness.Run, "daily.log in done/", watcher);

        Assert.Equal(["daily.log.out.zst", "daily.log.summary.json"], WatchHarness.List(harness.Outbox));
        var output = File.ReadAllBytes(Path.Combine(harness.Outbox, "daily.log.out.zst"));
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), CompressedOutputTests.Decompress(output, "zstd"));
    }

    [Fact]
    public async Task Watch_UnknownCompression_ExitsTwoWithOneLine()
    {
        await using var harness = await WatchHarness.CreateAsync(broker);

        var watcher = ServiceProcess.StartProducer(
            ["watch", "--data", harness.Data, "--rabbitmq", "amqp://guest:guest@127.0.0.1:1/"],
            new Dictionary<string, string?> { ["Watch__Compress"] = "xz" });
        await using var stopped = watcher;
        var code = await watcher.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 2, watcher.Describe());
        var line = Assert.Single(watcher.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Compress: must be none, gzip or zstd", line, StringComparison.Ordinal);
    }
}
