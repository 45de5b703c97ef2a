using Streaming.IntegrationTests.Compression;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Redrive;

/// <summary>
/// <c>Producer redrive &lt;file&gt;</c> after a run whose worker failed chosen lines (<c>throw:REDRIVE</c> in the test
/// consumer): the lines listed in the errors file run again on a fixed worker and take their place in the output.
/// </summary>
[Collection(CompressionCollection.Name)]
public sealed class RedriveTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Redrive_AfterTheWorkerIsFixed_OutputIsTheCleanRunsAndTheErrorsFileIsGone()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = RedriveInput.Create(fillerLines: 3000, every: 61);
        var input = await FailedRunAsync(pipeline, "fixed.txt", content, "--batch-lines", "100");
        await pipeline.StartConsumerAsync("identity");

        var (code, redrive) = await RedriveAsync(pipeline, input);

        Assert.True(code == 0, redrive.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
        Assert.False(File.Exists(input + ".errors.jsonl"));
        Assert.False(Directory.Exists(input + ".redrive"));
        var summary = TestPipeline.ReadSummary(input);
        Assert.Equal(0, summary.GetProperty("failedLines").GetInt64());
        var attempts = summary.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(["run", "redrive"], attempts.Select(a => a.GetProperty("kind").GetString()));
        var failed = RedriveInput.LinesWith(content, RedriveInput.Marker).Count;
        Assert.Equal(failed, attempts[1].GetProperty("lines").GetInt64());
        Assert.Contains($"redrove {failed} lines", redrive.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redrive_SomeLinesStillFail_ErrorsFileListsOnlyThoseAndExitsOne()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = RedriveInput.Create(fillerLines: 3000, every: 61, stuckEvery: 3);
        var input = await FailedRunAsync(pipeline, "stuck.txt", content, "--batch-lines", "100");
        await pipeline.StartConsumerAsync("throw:STUCK", TestPipeline.TestConsumer);

        var (code, redrive) = await RedriveAsync(pipeline, input);

        Assert.True(code == 1, redrive.Describe());
        var stuck = RedriveInput.LinesWith(content, "STUCK");
        Assert.NotEmpty(stuck);
        Assert.Equal(stuck, TestPipeline.ReadErrors(input).Select(e => e.Line));
        Assert.Equal(
            ReferenceOutput.OutputFile("identity", content, line => RedriveInput.Holds(line, "STUCK")), File.ReadAllBytes(input + ".out"));
        var summary = TestPipeline.ReadSummary(input);
        Assert.Equal(stuck.Count, summary.GetProperty("failedLines").GetInt64());
        Assert.Equal(2, summary.GetProperty("attempts").GetArrayLength());
    }

    [Fact]
    public async Task Redrive_ChangedInput_ExitsTwoAndChangesNothing()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = RedriveInput.Create(fillerLines: 500, every: 61);
        var input = await FailedRunAsync(pipeline, "changed.txt", content);
        var before = Snapshot(pipeline.Directory);
        // Same length and modification time, other content: only the recorded fingerprint can tell.
        var time = File.GetLastWriteTimeUtc(input);
        var changed = (byte[])content.Clone();
        changed[^1] ^= 0x20;
        File.WriteAllBytes(input, changed);
        File.SetLastWriteTimeUtc(input, time);
        before[Path.GetFileName(input)] = changed;

        var (code, redrive) = await RedriveAsync(pipeline, input);

        Assert.True(code == 2, redrive.Describe());
        var line = Assert.Single(redrive.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("is not the input the run recorded", line, StringComparison.Ordinal);
        AssertSame(before, Snapshot(pipeline.Directory));
    }

    [Fact]
    public async Task Redrive_ErrorsFileMissing_ExitsTwoWithOneLine()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var input = await FailedRunAsync(pipeline, "lost.txt", RedriveInput.Create(fillerLines: 200, every: 61));
        File.Delete(input + ".errors.jsonl");

        var (code, redrive) = await RedriveAsync(pipeline, input);

        Assert.True(code == 2, redrive.Describe());
        var line = Assert.Single(redrive.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("errors.jsonl' does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redrive_NothingFailed_ExitsZeroAndChangesNothing()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 500);
        var input = pipeline.WriteInput("clean.txt", content);
        await pipeline.StartConsumerAsync("identity");
        var (published, producer) = await pipeline.PublishAsync(input, s_run);
        Assert.True(published == 0, producer.Describe());
        var before = Snapshot(pipeline.Directory);

        var (code, redrive) = await RedriveAsync(pipeline, input);

        Assert.True(code == 0, redrive.Describe());
        Assert.Contains("nothing to redrive", redrive.StandardOutput, StringComparison.Ordinal);
        AssertSame(before, Snapshot(pipeline.Directory));
    }

    [Fact]
    public async Task Redrive_KilledMidWayThenRunAgain_OutputIsExact()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = RedriveInput.Create(fillerLines: 4000, every: 2);
        var input = await FailedRunAsync(pipeline, "killed.txt", content, "--batch-lines", "200");
        await pipeline.StartConsumerAsync("delay:10", extra: ["--concurrency", "4"]);
        var smallBatches = new Dictionary<string, string?> { ["Producer__BatchLines"] = "20" };
        var lines = Path.Combine(input + ".redrive", Path.GetFileName(input));

        var first = StartRedrive(pipeline, input, smallBatches);
        await Checkpoints.WaitForLineAsync(lines, minimumLine: 300, first);
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var second = StartRedrive(pipeline, input, smallBatches);
        var code = await second.WaitForExitAsync(s_run);

        Assert.True(code == 0, second.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
        Assert.False(File.Exists(input + ".errors.jsonl"));
        Assert.Equal(2, TestPipeline.ReadSummary(input).GetProperty("attempts").GetArrayLength());
    }

    [Fact]
    public async Task Redrive_GzipOutput_DecompressesToTheCleanRunsBytes()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = RedriveInput.Create(fillerLines: 3000, every: 61);
        var input = await FailedRunAsync(pipeline, "packed.txt", content, "--batch-lines", "100", "--compress", "gzip");
        await pipeline.StartConsumerAsync("identity");

        var (code, redrive) = await RedriveAsync(pipeline, input);

        Assert.True(code == 0, redrive.Describe());
        Assert.Equal(
            ReferenceOutput.OutputFile("identity", content), CompressedOutputTests.Decompress(File.ReadAllBytes(input + ".out.gz"), "gzip"));
        Assert.False(File.Exists(input + ".out"));
        Assert.False(File.Exists(input + ".errors.jsonl"));
        Assert.Equal(2, TestPipeline.ReadSummary(input).GetProperty("attempts").GetArrayLength());
    }

    /// <summary>Publishes <paramref name="content"/> with a worker that fails the marked lines (exit 1), then stops it.</summary>
    private static async Task<string> FailedRunAsync(TestPipeline pipeline, string name, byte[] content, params string[] extra)
    {
        var input = pipeline.WriteInput(name, content);
        var failing = await pipeline.StartConsumerAsync("throw:" + RedriveInput.Marker, TestPipeline.TestConsumer);
        var (code, producer) = await pipeline.PublishAsync(input, s_run, extra);
        Assert.True(code == 1, producer.Describe());
        Assert.Equal(RedriveInput.LinesWith(content, RedriveInput.Marker), TestPipeline.ReadErrors(input).Select(e => e.Line));
        failing.Terminate();
        Assert.True(await failing.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, failing.Describe());
        return input;
    }

    private static ServiceProcess StartRedrive(TestPipeline pipeline, string input, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var merged = new Dictionary<string, string?>(pipeline.ServiceEnvironment);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }
        return ServiceProcess.StartProducer(["redrive", input, "--rabbitmq", pipeline.ServiceUri], merged);
    }

    private static async Task<(int Code, ServiceProcess Producer)> RedriveAsync(TestPipeline pipeline, string input)
    {
        // Not disposed here: the caller reads its output; it has exited (or was killed on the timeout) by then.
        var producer = StartRedrive(pipeline, input);
        var code = await producer.WaitForExitAsync(s_run);
        return (code, producer);
    }

    private static Dictionary<string, byte[]> Snapshot(string directory) =>
        Directory.EnumerateFileSystemEntries(directory)
            .Where(p => !p.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(p => Path.GetFileName(p), p => Directory.Exists(p) ? [] : File.ReadAllBytes(p));

    private static void AssertSame(Dictionary<string, byte[]> before, Dictionary<string, byte[]> after)
    {
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
        }
    }
}
