using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Topology;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Stdin;

/// <summary>
/// <c>publish - --wait</c> as a Unix filter against the shared broker: standard input's results on standard output in
/// input order, byte for byte; failed lines in the plain and the tagged format; a consumer killed and the results queue
/// lost mid-stream (the batches out are published again from the producer's memory: standard input cannot be read
/// twice); the producer's own death (non-zero, no queue left); and a million lines in bounded memory.
/// </summary>
[Collection(BrokerSecondCollection.Name)]
public sealed class StdinTests(RabbitMqBroker broker, ITestOutputHelper output)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);
    private const string Poison = "POISON";
    private const string Refused = "test processor refused this line";

    [Fact]
    public async Task PublishStdin_EdgeCaseLines_StdoutIsTheIdentityByteForByteAndNoQueueIsLeft()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var (input, stdout) = Files(pipeline, content);
        await pipeline.StartConsumerAsync("identity");

        await using var producer = StdinPublish.Start(pipeline, input, stdout, extra: ["--batch-lines", "500"]);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), await File.ReadAllBytesAsync(stdout));
        var lines = ReferenceOutput.SplitLines(content).Count;
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"stdin: {lines:N0} lines"), producer.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(pipeline.Directory).Except([input, stdout]));
        await AssertNoResultsQueueAsync(pipeline);
    }

    [Fact]
    public async Task PublishStdin_GzipCompressedStdin_StdoutIsItsSha256ByteForByte()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 10_000);
        var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }
        var (input, stdout) = Files(pipeline, compressed.ToArray());
        await pipeline.StartConsumerAsync("sha256");

        await using var producer = StdinPublish.Start(pipeline, input, stdout, extra: ["--batch-lines", "700"]);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("sha256", content), await File.ReadAllBytesAsync(stdout));
    }

    [Fact]
    public async Task PublishStdin_PlainWithFailingLines_FailedLinesEmptyOnStdoutAndListedOnStderrExitOne()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (content, failing) = WithPoisonedLines(3000, every: 211);
        var (input, stdout) = Files(pipeline, content);
        await pipeline.StartConsumerAsync("throw:" + Poison, TestPipeline.TestConsumer);

        await using var producer = StdinPublish.Start(pipeline, input, stdout, extra: ["--batch-lines", "100"]);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 1, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content, IsPoisoned), await File.ReadAllBytesAsync(stdout));
        var listed = ErrorLines(producer.StandardError.Split('\n'));
        Assert.Equal(failing, listed.Select(e => e.Line));
        Assert.All(listed, e => Assert.Equal(Refused, e.Error));
    }

    [Fact]
    public async Task PublishStdin_TaggedWithErrorsFile_EachLineTaggedInOrderAndFailuresListedInTheFile()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (content, failing) = WithPoisonedLines(3000, every: 173);
        var (input, stdout) = Files(pipeline, content);
        var errors = Path.Combine(pipeline.Directory, "failed.jsonl");
        await pipeline.StartConsumerAsync("throw:" + Poison, TestPipeline.TestConsumer);

        await using var producer = StdinPublish.Start(
            pipeline, input, stdout, extra: ["--batch-lines", "100", "--stdout-format", "tagged", "--errors", errors]);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 1, producer.Describe());
        var expected = new MemoryStream();
        foreach (var line in ReferenceOutput.SplitLines(content))
        {
            expected.Write(IsPoisoned(line) ? Encoding.UTF8.GetBytes("!" + Refused) : [(byte)'+', .. line]);
            expected.WriteByte((byte)'\n');
        }
        Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(stdout));
        Assert.Equal(failing, ErrorLines(await File.ReadAllLinesAsync(errors)).Select(e => e.Line));
        Assert.Empty(ErrorLines(producer.StandardError.Split('\n')));
    }

    [Fact]
    public async Task PublishStdin_ConsumerKilledMidStream_StdoutIsExact()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var (input, stdout) = Files(pipeline, content);
        var doomed = await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);

        await using var producer = StdinPublish.Start(pipeline, input, stdout, extra: ["--batch-lines", "200"]);
        await StdinPublish.WaitForOutputAsync(producer, stdout, content.Length / 5, s_run);
        doomed.Kill();
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), await File.ReadAllBytesAsync(stdout));
    }

    /// <summary>The results of the batches out are lost with their queue: they are published again from the copies the
    /// producer keeps, since standard input cannot be read again.</summary>
    [Fact]
    public async Task PublishStdin_ResultsQueueDeletedMidStream_BatchesOutPublishedAgainFromMemoryAndStdoutIsExact()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: no rabbitmqctl to delete the queue with.
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var (input, stdout) = Files(pipeline, content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);

        await using var producer = StdinPublish.Start(pipeline, input, stdout, extra: ["--batch-lines", "200"]);
        await StdinPublish.WaitForOutputAsync(producer, stdout, content.Length / 5, s_run);
        await broker.RabbitMqCtlAsync("delete_queue", "-p", pipeline.Vhost, ProducerLog.ResultsQueue(producer));
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Contains("again (lost queue or messages?)", producer.StandardError, StringComparison.Ordinal);
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), await File.ReadAllBytesAsync(stdout));
    }

    [Fact]
    public async Task PublishStdin_ProducerTerminatedMidStream_ExitsNonZeroSaysTheStreamIsLostAndDeletesItsQueue()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var (input, stdout) = Files(pipeline, content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "4"]);

        await using var producer = StdinPublish.Start(pipeline, input, stdout, extra: ["--batch-lines", "200"]);
        await StdinPublish.WaitForOutputAsync(producer, stdout, content.Length / 10, s_run);
        var results = ProducerLog.ResultsQueue(producer);
        producer.Terminate();
        var code = await producer.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 130, producer.Describe());
        Assert.Contains("the stream is lost", producer.StandardError, StringComparison.Ordinal);
        Assert.True(new FileInfo(stdout).Length < ReferenceOutput.OutputFile("identity", content).Length, "the output is complete");
        Assert.DoesNotContain(results, (await Ledger.QueueCountsAsync(pipeline)).Keys);
    }

    /// <summary>A caller that reads the results while it still writes lines (the Python client does) gets each batch's
    /// results once they are written, not at the end of its input.</summary>
    [Fact]
    public async Task PublishStdin_StdinStillOpen_ResultsOfCompleteBatchesAlreadyOnStdout()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (fifo, stdout) = await FifoAsync(pipeline);
        await pipeline.StartConsumerAsync("identity");

        await using var producer = StdinPublish.Start(pipeline, fifo, stdout, extra: ["--batch-lines", "5", "--stdout-format", "tagged"]);
        var first = "+one\n+two\n+three\n+four\n+five\n"u8.ToArray();
        await using (var writer = await OpenForWritingAsync(fifo))
        {
            await writer.WriteAsync("one\ntwo\nthree\nfour\nfive\n"u8.ToArray());
            await writer.FlushAsync();
            await StdinPublish.WaitForOutputAsync(producer, stdout, first.Length, TimeSpan.FromSeconds(60));
            Assert.Equal(first, await File.ReadAllBytesAsync(stdout));
            await writer.WriteAsync("six"u8.ToArray());
        }
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        var whole = await File.ReadAllBytesAsync(stdout);
        Assert.Equal([.. first, .. "+six\n"u8.ToArray()], whole);
    }

    /// <summary>A writer that pauses mid-batch (<c>tail -f</c>, a slow generator, a caller waiting for its answers)
    /// gets the results of its lines so far once the batch has waited <c>Producer:StdinBatchWaitMilliseconds</c>, not
    /// once 10,000 lines (the default batch) have come.</summary>
    [Fact]
    public async Task PublishStdin_WriterPausesMidBatch_ItsLinesSoFarGetTheirResultsWithoutTheBatchFilling()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (fifo, stdout) = await FifoAsync(pipeline);
        await pipeline.StartConsumerAsync("identity");

        await using var producer = StdinPublish.Start(pipeline, fifo, stdout);
        var first = "first\nsecond\n"u8.ToArray();
        await using (var writer = await OpenForWritingAsync(fifo))
        {
            await writer.WriteAsync(first);
            await writer.FlushAsync();
            await StdinPublish.WaitForOutputAsync(producer, stdout, first.Length, TimeSpan.FromSeconds(60));
            Assert.Equal(first, await File.ReadAllBytesAsync(stdout));
            await writer.WriteAsync("third\n"u8.ToArray());
        }
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal("first\nsecond\nthird\n"u8.ToArray(), await File.ReadAllBytesAsync(stdout));
    }

    /// <summary>A read from standard input waits for its writer whatever the cancellation says: the interrupted run must
    /// not wait for input that may never come.</summary>
    [Fact]
    public async Task PublishStdin_TerminatedWhileStdinIsOpenAndSilent_ExitsWithoutWaitingForInput()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var (fifo, stdout) = await FifoAsync(pipeline);
        await pipeline.StartConsumerAsync("identity");

        await using var producer = StdinPublish.Start(pipeline, fifo, stdout, extra: ["--batch-lines", "10"]);
        // Held open, and silent after two lines, until the test is over.
        await using var writer = await OpenForWritingAsync(fifo);
        await writer.WriteAsync("first\nsecond\n"u8.ToArray());
        await writer.FlushAsync();
        await producer.WaitForOutputAsync("for stdin started", TimeSpan.FromSeconds(60));
        var results = ProducerLog.ResultsQueue(producer);
        producer.Terminate();
        var code = await producer.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 130, producer.Describe());
        Assert.Contains("the stream is lost", producer.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(results, (await Ledger.QueueCountsAsync(pipeline)).Keys);
    }

    /// <summary>A producer killed outright cannot delete its results queue; the broker does, once it has gone unused for
    /// <c>Producer:StdinResultsQueueExpirySeconds</c> (shortened here: 2 minutes by default).</summary>
    [Fact]
    public async Task PublishStdin_ProducerKilledMidStream_ItsResultsQueueExpiresSoon()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var (input, stdout) = Files(pipeline, content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "4"]);

        await using var producer = StdinPublish.Start(
            pipeline, input, stdout, new Dictionary<string, string?> { ["Producer__StdinResultsQueueExpirySeconds"] = "3" },
            "--batch-lines", "200");
        await StdinPublish.WaitForOutputAsync(producer, stdout, content.Length / 10, s_run);
        var results = ProducerLog.ResultsQueue(producer);
        Assert.Contains(results, (await Ledger.QueueCountsAsync(pipeline)).Keys);
        producer.Kill();
        Assert.NotEqual(0, await producer.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await Ledger.QueueCountsAsync(pipeline)).ContainsKey(results))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{results} is still there a minute after its producer was killed");
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task PublishStdin_AMillionLines_StdoutExactAndPeakMemoryBounded()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var text = new StringBuilder();
        for (var i = 1; i <= 1_000_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i:D7} the quick brown fox jumps over the lazy dog\n");
        }
        var content = Encoding.ASCII.GetBytes(text.ToString());
        var (input, stdout) = Files(pipeline, content);
        await pipeline.StartConsumerAsync("identity", extra: ["--concurrency", "4"]);

        await using var producer = StdinPublish.Start(pipeline, input, stdout);
        long peakKiB = 0;
        while (!producer.HasExited)
        {
            peakKiB = Math.Max(peakKiB, PeakResidentKiB(producer.Id) ?? 0);
            await Task.Delay(100);
        }
        var code = await producer.WaitForExitAsync(s_run);

        output.WriteLine($"{content.Length:N0} bytes through standard input; the producer's peak RSS: {peakKiB / 1024.0:F1} MiB");
        Assert.True(code == 0, producer.Describe());
        Assert.True(await File.ReadAllBytesAsync(stdout) is var written && written.AsSpan().SequenceEqual(content), "the output is not the input");
        Assert.True(peakKiB > 0, "no reading of the producer's memory");
        Assert.True(peakKiB < 300 * 1024, $"the producer's peak RSS was {peakKiB / 1024.0:F1} MiB");
    }

    /// <summary>A FIFO for the producer's standard input (the test writes it as it goes), and where its stdout goes.</summary>
    private static async Task<(string Fifo, string Stdout)> FifoAsync(TestPipeline pipeline)
    {
        var fifo = Path.Combine(pipeline.Directory, "stdin.fifo");
        await using (var mkfifo = ServiceProcess.Start("mkfifo", [fifo]))
        {
            Assert.Equal(0, await mkfifo.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        return (fifo, Path.Combine(pipeline.Directory, "stdout.bin"));
    }

    /// <summary>Opens the FIFO once the producer's side has opened it for reading.</summary>
    private static Task<FileStream> OpenForWritingAsync(string fifo) =>
        Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write)).WaitAsync(TimeSpan.FromSeconds(60));

    private static (string Input, string Stdout) Files(TestPipeline pipeline, byte[] content) =>
        (pipeline.WriteInput("stdin.bin", content), Path.Combine(pipeline.Directory, "stdout.bin"));

    /// <summary>Lines of filler, with the marker in every <paramref name="every"/>th; returns their numbers.</summary>
    private static (byte[] Content, List<long> Failing) WithPoisonedLines(int lines, int every)
    {
        var text = new StringBuilder();
        var failing = new List<long>();
        for (var i = 1; i <= lines; i++)
        {
            var poisoned = i % every == 0;
            text.Append(CultureInfo.InvariantCulture, $"line {i} {(poisoned ? Poison : "is fine")}\n");
            if (i % every == 0)
            {
                failing.Add(i);
            }
        }
        return (Encoding.UTF8.GetBytes(text.ToString()), failing);
    }

    private static bool IsPoisoned(byte[] line) => Encoding.UTF8.GetString(line).Contains(Poison, StringComparison.Ordinal);

    /// <summary>The <c>{"line":N,"error":"…"}</c> lines among <paramref name="lines"/>, in order.</summary>
    private static List<(long Line, string Error)> ErrorLines(IEnumerable<string> lines) =>
        [.. lines.Where(l => l.StartsWith("{\"line\":", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("error").GetString() ?? ""))];

    /// <summary>VmHWM: the process's peak resident memory so far, or null once it is gone.</summary>
    private static long? PeakResidentKiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task AssertNoResultsQueueAsync(TestPipeline pipeline) =>
        Assert.DoesNotContain((await Ledger.QueueCountsAsync(pipeline)).Keys, q => q.StartsWith(QueueNames.ResultsPrefix, StringComparison.Ordinal));
}
