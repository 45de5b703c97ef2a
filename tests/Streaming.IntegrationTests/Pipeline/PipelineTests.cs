using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Pipeline;

[Collection(BrokerCollection.Name)]
public sealed class PipelineTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData("identity")]
    [InlineData("upper")]
    [InlineData("wordcount")]
    [InlineData("sha256:3")]
    [InlineData("delay:1")]
    public async Task PublishWait_EdgeCaseFileWithTwoConsumers_OutputIsByteExact(string processor)
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create();
        var input = pipeline.WriteInput("edge cases.txt", content);
        await Task.WhenAll(
            pipeline.StartConsumerAsync(processor, extra: ["--concurrency", "8"]),
            pipeline.StartConsumerAsync(processor, extra: ["--concurrency", "8"]));

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "97");

        var expectedFailures = ReferenceOutput.SplitLines(content)
            .Select((line, index) => (Line: index + 1L, Failed: ReferenceOutput.Apply(processor, line) is null))
            .Where(x => x.Failed).Select(x => x.Line).ToList();
        Assert.True(code == (expectedFailures.Count > 0 ? 1 : 0), producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile(processor, content), File.ReadAllBytes(input + ".out"));
        Assert.Equal(expectedFailures, TestPipeline.ReadErrors(input).Select(e => e.Line));
        var summary = TestPipeline.ReadSummary(input);
        Assert.Equal(ReferenceOutput.SplitLines(content).Count, summary.GetProperty("lines").GetInt64());
        Assert.Equal(expectedFailures.Count, summary.GetProperty("failedLines").GetInt64());
        Assert.Equal(32, summary.GetProperty("traceId").GetString()!.Length);
        Assert.False(File.Exists(input + ".out.partial"));
        Assert.False(File.Exists(input + ".checkpoint.json"));
    }

    [Fact]
    public async Task PublishWait_BatchesFinishingOutOfOrder_OutputStaysInInputOrder()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 4000);
        var input = pipeline.WriteInput("shuffled.txt", content);
        await Task.WhenAll(
            pipeline.StartConsumerAsync("jitter:3", TestPipeline.TestConsumer, extra: ["--concurrency", "16", "--prefetch", "8"]),
            pipeline.StartConsumerAsync("jitter:3", TestPipeline.TestConsumer, extra: ["--concurrency", "16", "--prefetch", "8"]),
            pipeline.StartConsumerAsync("jitter:3", TestPipeline.TestConsumer, extra: ["--concurrency", "4", "--prefetch", "2"]));

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "7");

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
    }

    [Fact]
    public async Task PublishWait_SeveralFilesAndAnEmptyOne_EachGetsItsOwnOutputs()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var inputs = new[]
        {
            pipeline.WriteInput("a.txt", EdgeCaseInput.Create(500)),
            pipeline.WriteInput("b.log", "one\ntwo\r\nthree"u8.ToArray()),
            pipeline.WriteInput("empty.txt", []),
        };
        var outDirectory = Path.Combine(pipeline.Directory, "out");
        await pipeline.StartConsumerAsync("upper");

        var producer = pipeline.StartPublish(inputs, "--out", outDirectory);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code is 0 or 1, producer.Describe());
        foreach (var input in inputs)
        {
            var output = Path.Combine(outDirectory, Path.GetFileName(input) + ".out");
            Assert.Equal(ReferenceOutput.OutputFile("upper", File.ReadAllBytes(input)), File.ReadAllBytes(output));
            Assert.True(File.Exists(Path.Combine(outDirectory, Path.GetFileName(input) + ".summary.json")));
        }
        Assert.Empty(File.ReadAllBytes(Path.Combine(outDirectory, "empty.txt.out")));
        Assert.Equal(0, TestPipeline.ReadSummary(Path.Combine(outDirectory, "empty.txt")).GetProperty("lines").GetInt64());
    }

    [Fact]
    public async Task PublishWait_LineOverTheLimit_FailsWithReasonAndTheFileGoesOn()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = "before\n"u8.ToArray().Concat(Enumerable.Repeat((byte)'x', 5000)).Concat("\nafter\n"u8.ToArray()).ToArray();
        var input = pipeline.WriteInput("long.txt", content);
        var limit = new Dictionary<string, string?> { ["Producer__MaxLineBytes"] = "4096" };
        await pipeline.StartConsumerAsync("identity");

        var producer = pipeline.StartPublish([input], limit);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 1, producer.Describe());
        Assert.Equal("before\n\nafter\n"u8.ToArray(), File.ReadAllBytes(input + ".out"));
        var error = Assert.Single(TestPipeline.ReadErrors(input));
        Assert.Equal(2, error.Line);
        Assert.Contains("line limit", error.Error, StringComparison.Ordinal);
        Assert.Contains("line 2: ", producer.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishWait_ProcessorThrowsOnSomeLines_ThoseFailAloneAndTheBatchGoesOn()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var lines = Enumerable.Range(1, 300).Select(i => i % 50 == 0 ? $"line {i} BAD" : $"line {i}").ToList();
        var input = pipeline.WriteInput("some bad.txt", System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));
        await pipeline.StartConsumerAsync("throw:BAD", TestPipeline.TestConsumer);

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "40");

        Assert.True(code == 1, producer.Describe());
        var expected = string.Concat(lines.Select(l => (l.EndsWith("BAD", StringComparison.Ordinal) ? "" : l) + "\n"));
        Assert.Equal(expected, File.ReadAllText(input + ".out"));
        var errors = TestPipeline.ReadErrors(input);
        Assert.Equal([50L, 100, 150, 200, 250, 300], errors.Select(e => e.Line));
        Assert.All(errors, e => Assert.Equal("test processor refused this line", e.Error));
    }

    [Fact]
    public async Task PublishWait_NoConsumerAttached_SaysSoThenFinishesWhenOneStarts()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var input = pipeline.WriteInput("waiting.txt", "a\nb\nc\n"u8.ToArray());
        var progress = new Dictionary<string, string?> { ["Producer__ProgressIntervalSeconds"] = "1" };

        var producer = pipeline.StartPublish([input], progress);
        await producer.WaitForOutputAsync("no consumer is attached", TimeSpan.FromSeconds(60));
        await pipeline.StartConsumerAsync("identity");
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal("a\nb\nc\n", File.ReadAllText(input + ".out"));
    }
}
