using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Compression;

/// <summary>Compressed inputs through <c>publish</c>: recognised by their bytes, the line rules applied to the
/// decompressed bytes, damage reported with where it is and never presented as a complete output, resume exact.</summary>
[Collection(CompressionCollection.Name)]
public sealed class CompressedInputTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("gzip", "identity", "app.log.gz")]
    [InlineData("gzip", "sha256", "export")]
    [InlineData("zstd", "identity", "app.log.zst")]
    [InlineData("zstd", "sha256", "export.txt")]
    public async Task PublishWait_InputInSeveralMembersOrFrames_OutputIsItsDecompressedLinesProcessed(string format, string processor, string name)
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var input = pipeline.WriteInput(name, CompressedContent.Compress(format, content, parts: 3));
        await pipeline.StartConsumerAsync(processor);

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "500");

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile(processor, content), File.ReadAllBytes(input + ".out"));
        Assert.Equal(ReferenceOutput.SplitLines(content).Count, TestPipeline.ReadSummary(input).GetProperty("lines").GetInt64());
    }

    [Theory]
    [InlineData("gzip", "truncated", "Unexpected EOF")]
    [InlineData("gzip", "corrupted", "")]
    [InlineData("zstd", "truncated", "")]
    [InlineData("zstd", "corrupted", "")]
    public async Task PublishWait_DamagedInput_ExitsOneNamingWhereAndPresentsNoOutput(string format, string damage, string detail)
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var compressed = CompressedContent.Compress(format, EdgeCaseInput.Create(fillerLines: 20_000), parts: 2);
        var damaged = damage == "truncated" ? CompressedContent.Truncated(compressed, 0.6) : CompressedContent.Corrupted(compressed);
        var input = pipeline.WriteInput("damaged." + format, damaged);
        await pipeline.StartConsumerAsync("identity");

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "500");

        Assert.True(code == 1, producer.Describe());
        var error = producer.StandardError;
        Assert.Contains($"the {format} input is damaged near byte ", error, StringComparison.Ordinal);
        Assert.Contains($" of its {damaged.Length:N0} ", error, StringComparison.Ordinal);
        Assert.Contains(detail, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(File.Exists(input + ".out"), "a damaged input's output must never be presented as complete");
        Assert.False(File.Exists(input + ".summary.json"));
    }

    [Fact]
    public async Task PublishWait_ProducerKilledMidGzipThenRunAgain_ResumesFromTheCheckpointWithExactOutput()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        var input = pipeline.WriteInput("resumed.log.gz", CompressedContent.Gzip(content, members: 4));
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "5"]);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "5"]);

        var first = pipeline.StartPublish([input], "--batch-lines", "100");
        var checkpointLine = await Checkpoints.WaitForLineAsync(input, minimumLine: 2000, first);
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var verbose = new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Information" };
        var second = pipeline.StartPublish([input], verbose, "--batch-lines", "100");
        var code = await second.WaitForExitAsync(s_run);

        Assert.True(code == 0, second.Describe());
        Assert.Contains("resumes at line", second.StandardError, StringComparison.Ordinal);
        Assert.True(checkpointLine > 1);
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
    }
}
