using System.Diagnostics;
using System.Text;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Exec;

/// <summary><c>exec:</c> end to end: real consumers running real worker processes against the shared broker.</summary>
[Collection(BrokerSecondCollection.Name)]
public sealed class ExecProcessorTests(RabbitMqBroker broker, ITestOutputHelper output)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData("identity", "identity")]
    [InlineData("sha256", "sha256")]
    public async Task PublishWait_PythonWorker_OutputIsByteExact(string mode, string reference)
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 5000);
        var input = pipeline.WriteInput("python.txt", content);
        await pipeline.StartConsumerAsync(ExecWorkers.Spec(mode), extra: ["--concurrency", "2"]);

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "700");

        Assert.True(code == 0, producer.Describe());
        Ledger.AssertOutput(input, content, reference);
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_CatAndTrAsPlainCommands_OutputIsByteExact()
    {
        var content = EdgeCaseInput.Create(fillerLines: 5000);
        await using (var pipeline = await TestPipeline.CreateAsync(broker))
        {
            var input = pipeline.WriteInput("cat.txt", content);
            await pipeline.StartConsumerAsync("exec:cat", extra: ["--concurrency", "2"]);
            var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "700");
            Assert.True(code == 0, producer.Describe());
            Ledger.AssertOutput(input, content, "identity");
        }
        await using (var pipeline = await TestPipeline.CreateAsync(broker))
        {
            var input = pipeline.WriteInput("tr.txt", content);
            // tr buffers its output when it is a pipe; stdbuf makes it write every line (docs/exec-workers.md: output buffering).
            await pipeline.StartConsumerAsync("exec:stdbuf -oL tr a-z 'A-Z'", extra: ["--concurrency", "2"]);
            var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "700");
            Assert.True(code == 0, producer.Describe());
            var expected = new MemoryStream();
            foreach (var line in ReferenceOutput.SplitLines(content))
            {
                expected.Write(line.Select(b => b is >= (byte)'a' and <= (byte)'z' ? (byte)(b - 32) : b).ToArray());
                expected.WriteByte((byte)'\n');
            }
            Assert.Equal(expected.ToArray(), File.ReadAllBytes(input + ".out"));
        }
    }

    [Fact]
    public async Task PublishWait_WorkerFailsChosenLines_TheyFailWithTheirReasonAndTheRestSucceed()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (content, markers) = MarkedInput(3000, "BAD", 7, 1500, 2999);
        var input = pipeline.WriteInput("refused.txt", content);
        await pipeline.StartConsumerAsync(ExecWorkers.Spec("fail-on BAD"), extra: ["--concurrency", "2"]);

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "400");

        Assert.True(code == 1, producer.Describe());
        Ledger.AssertOutput(input, content, "identity", markers);
        Assert.All(TestPipeline.ReadErrors(input), e => Assert.Equal("refused a line with BAD", e.Error));
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_WorkerExitsOnMarkerLines_EachFailsAloneWithTheExitCode()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (content, markers) = MarkedInput(3000, "CRASH", 777, 2222);
        var input = pipeline.WriteInput("crash.txt", content);
        var consumer = await pipeline.StartConsumerAsync(ExecWorkers.Spec("exit-on CRASH"), extra: ["--concurrency", "2"]);

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "400");

        Assert.True(code == 1, producer.Describe());
        Ledger.AssertOutput(input, content, "identity", markers);
        Assert.All(TestPipeline.ReadErrors(input), e => Assert.Equal("command exited with code 1", e.Error));
        await Ledger.AssertQueuesDrainedAsync(pipeline);
        Assert.False(consumer.HasExited, consumer.Describe());
    }

    [Fact]
    public async Task PublishWait_WorkerHangsOnMarkerLine_ItFailsAfterTheLineTimeoutAndTheRestSucceed()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (content, markers) = MarkedInput(600, "HANG", 150);
        var input = pipeline.WriteInput("hang.txt", content);
        // The line timeout also bounds a fresh worker's hello, that is python3's start: at 2 s, a loaded CI machine
        // failed line 1 that way (ci19), and in ci34a lines 1, 2, 3, ... failed (three such failures in a row make the
        // command count as failing whatever the line). 6 s, as the chaos test's 5 s for the same reason.
        var timeout = new Dictionary<string, string?> { ["Consumer__ExecLineTimeoutSeconds"] = "6" };
        await pipeline.StartConsumerAsync(ExecWorkers.Spec("hang-on HANG"), environment: timeout, extra: ["--concurrency", "2"]);

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "200");

        Assert.True(code == 1, producer.Describe());
        // The reasons first: a failure then says why the lines failed, not only which.
        var error = Assert.Single(TestPipeline.ReadErrors(input));
        Assert.StartsWith("command took longer than 6 s on this line (worker killed)", error.Error);
        Ledger.AssertOutput(input, content, "identity", markers);
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_WorkerKilledMidBatch_OutputUnchanged()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var (content, _) = MarkedInput(4000, "STALL", 2500);
        var input = pipeline.WriteInput("killed.txt", content);
        var stalled = Path.Combine(pipeline.Directory, "stalled.pid");
        var consumer = await pipeline.StartConsumerAsync(ExecWorkers.Spec($"stall-once STALL {stalled}"), extra: ["--concurrency", "2"]);

        var producer = pipeline.StartPublish([input], "--batch-lines", "1000");
        var pid = await WaitForPidFileAsync(stalled, TimeSpan.FromSeconds(60));
        Assert.True(PosixSignals.Send(pid, PosixSignals.Kill), $"worker {pid} was gone before the kill");
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
        Assert.True(consumer.StandardError.Contains("lines outstanding (command exited with code 137)", StringComparison.Ordinal),
            "the kill should have ended a worker with lines outstanding: " + consumer.Describe());
    }

    [Theory]
    [InlineData("exec:no-such-command-for-streaming", "'no-such-command-for-streaming' was not found on PATH")]
    [InlineData("exec:python3 /no/such/worker.py", "exited at once with code 2: ", "can't open file '/no/such/worker.py'")]
    [InlineData("exec:{not-executable}", "' is not executable")]
    [InlineData("exec:cat | tr a-z A-Z", "'|' needs a shell")]
    [InlineData("exec:false", "exited at once with code 1")]
    // Busy for longer than the first second, as a start on a loaded machine is: still starting, not taken for running.
    [InlineData("exec:python3 -c 'import sys, time; end = time.time() + 1.5; any(time.time() > end for _ in iter(int, 1)); sys.exit(3)'", "exited at once with code 3")]
    [InlineData("exec:sh -c 'echo banner; cat'", "wrote output before it was sent a line")]
    public async Task Consumer_CommandCannotRun_ExitsTwoWithOneLineBeforeTouchingTheBroker(string spec, params string[] expected)
    {
        var notExecutable = Path.GetTempFileName();     // created with mode 0600
        spec = spec.Replace("{not-executable}", notExecutable, StringComparison.Ordinal);
        try
        {
            // Nothing listens on port 1: a consumer that went on to the broker would retry instead of exiting.
            await using var consumer = ServiceProcess.StartConsumer(["--processor", spec, "--rabbitmq", "amqp://guest:guest@127.0.0.1:1/"]);

            var code = await consumer.WaitForExitAsync(TimeSpan.FromSeconds(30));

            Assert.True(code == 2, consumer.Describe());
            var line = Assert.Single(consumer.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.All(expected, e => Assert.Contains(e, line, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(notExecutable);
        }
    }

    [Fact]
    public async Task Consumer_SigtermWithWorkersBusy_ExitsZeroStopsItsWorkersAndLosesNothing()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 4000);
        var input = pipeline.WriteInput("drain.txt", content);
        var leaving = await pipeline.StartConsumerAsync(ExecWorkers.Spec("slow 2"), extra: ["--concurrency", "2", "--prefetch", "2"]);

        var producer = pipeline.StartPublish([input], "--batch-lines", "500");
        var workers = await ExecWorkers.WaitForChildrenAsync(leaving.Id, 2, TimeSpan.FromSeconds(60));
        await WaitForOutputBytesAsync(input + ".out.partial", 1, TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        leaving.Terminate();
        var exit = await leaving.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var stoppedIn = clock.Elapsed;
        await pipeline.StartConsumerAsync("identity");
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(exit == 0, leaving.Describe());
        Assert.True(stoppedIn < TimeSpan.FromSeconds(30), $"stopped in {stoppedIn}");
        Assert.All(workers, pid => Assert.False(ExecWorkers.IsAlive(pid), $"worker {pid} outlived its consumer"));
        Assert.True(code == 0, producer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_MillionLinesThroughPythonIdentity_ByteExact()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var text = new StringBuilder();
        for (var i = 0; i < 1_000_000; i++)
        {
            text.Append(i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)).Append(" a line of the million through python\n");
        }
        var content = Encoding.ASCII.GetBytes(text.ToString());
        var input = pipeline.WriteInput("million.txt", content);
        await pipeline.StartConsumerAsync(ExecWorkers.Spec("identity"), extra: ["--concurrency", "2"]);

        var clock = Stopwatch.StartNew();
        var (code, producer) = await pipeline.PublishAsync(input, s_run);
        output.WriteLine($"1,000,000 lines through exec:python3 identity in {clock.Elapsed.TotalSeconds:0.0} s ({1_000_000 / clock.Elapsed.TotalSeconds:N0} lines/s, publish process included)");

        Assert.True(code == 0, producer.Describe());
        Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(input + ".out")), "the output differs from the input");
    }

    /// <summary>Lines "line N" with <paramref name="marker"/> in the chosen (1-based) ones.</summary>
    private static (byte[] Content, HashSet<long> Marked) MarkedInput(int lines, string marker, params long[] marked)
    {
        var set = marked.ToHashSet();
        var text = string.Concat(Enumerable.Range(1, lines).Select(i => set.Contains(i) ? $"line {i} {marker}\n" : $"line {i}\n"));
        return (Encoding.UTF8.GetBytes(text), set);
    }

    private static async Task<int> WaitForPidFileAsync(string path, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!File.Exists(path) || !int.TryParse(await File.ReadAllTextAsync(path, deadline.Token), out _))
        {
            await Task.Delay(20, deadline.Token);
        }
        return int.Parse(await File.ReadAllTextAsync(path, deadline.Token), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitForOutputBytesAsync(string path, long bytes, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!File.Exists(path) || new FileInfo(path).Length < bytes)
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}
