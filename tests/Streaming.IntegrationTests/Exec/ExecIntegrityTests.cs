using System.Text;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Exec;

/// <summary>
/// Issue 21: an <c>exec:</c> worker that writes what the protocol does not allow never makes another line's answer a
/// result, in the same batch, another batch or another job; workers leave nothing running and see no credentials.
/// </summary>
[Collection(ExecCollection.Name)]
public sealed class ExecIntegrityTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task PublishWait_PythonWorkerPrintsEveryTenthLine_OutputIsByteExactAndNothingFails()
    {
        // Before the fix: 300 lines failed ("not framed") and 2,700 others held another line's result, with exit 1.
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 3000).Select(i => $"line {i} of the printing worker\n")));
        var input = pipeline.WriteInput("printing.txt", content);
        var consumer = await pipeline.StartConsumerAsync(ExecWorkers.Spec("sha256-print"), extra: ["--concurrency", "2"]);

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "700");

        Assert.True(code == 0, producer.Describe() + consumer.Describe());
        Ledger.AssertOutput(input, content, "sha256");
        await consumer.WaitForOutputAsync("debug: seen 10", TimeSpan.FromSeconds(30));      // logged from the consumer's own queue
    }

    [Fact]
    public async Task PublishWait_PlainWorkerWritesAnExtraLine_OnlyThatLineFailsAndNothingCrossesIntoTheOtherFile()
    {
        // Before the fix: a.txt lost a line and b.txt.out began with a.txt's data, both reported as success.
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var script = Path.Combine(pipeline.Directory, "extra.sh");
        await File.WriteAllTextAsync(script, """
            while IFS= read -r line; do
              case $line in *EXTRA*) echo "one line too many" ;; esac
              printf '%s\n' "$line"
            done
            """);
        var a = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 2000).Select(i => i == 1500 ? "a 1500 EXTRA\n" : $"a {i}\n")));
        var b = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 2000).Select(i => $"b {i}\n")));
        var inputA = pipeline.WriteInput("a.txt", a);
        var inputB = pipeline.WriteInput("b.txt", b);
        // The extra line and the answer are two writes: a generous wait after a batch's last answer keeps a loaded
        // machine from running the consumer between them (the default, 1 ms, is the plain protocol's documented limit).
        var quiet = new Dictionary<string, string?> { ["Consumer__ExecQuietMilliseconds"] = "20" };
        await pipeline.StartConsumerAsync($"exec:sh {script}", environment: quiet, extra: ["--concurrency", "1"]);

        var producer = pipeline.StartPublish([inputA, inputB], "--batch-lines", "500");
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 1, producer.Describe());
        Ledger.AssertOutput(inputA, a, "identity", new HashSet<long> { 1500 });
        Ledger.AssertOutput(inputB, b, "identity");
        var error = Assert.Single(TestPipeline.ReadErrors(inputA));
        Assert.Contains("more answers than it was sent lines", error.Error, StringComparison.Ordinal);
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_CatWithTheFramedHelloAsInput_ProtocolUnchangedAndOnlyThoseLinesFail()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var hello = "\0streaming-worker framed 1\n";
        var text = new StringBuilder();
        for (var i = 1; i <= 1000; i++)
        {
            text.Append(i is 1 or 400 ? hello : $"line {i}\n");
        }
        var content = Encoding.UTF8.GetBytes(text.ToString());
        var input = pipeline.WriteInput("hello.txt", content);
        await pipeline.StartConsumerAsync("exec:cat", extra: ["--concurrency", "1"]);

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "1000");

        Assert.True(code == 1, producer.Describe());
        Ledger.AssertOutput(input, content, "identity", new HashSet<long> { 1, 400 });
    }

    [Fact]
    public async Task Consumer_KilledWhileWorkersAreBusy_TheirProcessGroupsDieWithIt()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var input = pipeline.WriteInput("hang.txt", Encoding.ASCII.GetBytes("HANG 1\nHANG 2\nHANG 3\nHANG 4\n"));
        var hanging = Directory.CreateDirectory(Path.Combine(pipeline.Directory, "hanging")).FullName;
        var consumer = await pipeline.StartConsumerAsync(
            $"exec:sh -c 'python3 {ExecWorkers.Script} hang-on HANG {hanging}; echo the shell outlived its worker'", extra: ["--concurrency", "2"]);
        var producer = pipeline.StartPublish([input], "--batch-lines", "1");
        var shells = await ExecWorkers.WaitForChildrenAsync(consumer.Id, 3, TimeSpan.FromSeconds(60));     // two workers and the reaper
        var pythons = await WaitForGrandchildrenAsync(shells, 2, TimeSpan.FromSeconds(60));
        await WaitForFilesAsync(hanging, 2, TimeSpan.FromSeconds(60));     // both in a line, deaf to their input's end

        consumer.KillAlone();   // its workers hang in a line: only the reaper's watchdog can end them

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (shells.Concat(pythons).Any(ExecWorkers.IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.All(shells.Concat(pythons), pid => Assert.False(ExecWorkers.IsAlive(pid), $"process {pid} outlived its consumer"));
        producer.Kill();
    }

    [Fact]
    public async Task Consumer_BrokerUriInItsEnvironment_WorkersDoNotSeeIt()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = Encoding.ASCII.GetBytes("RabbitMq__Uri\nRabbitMq__Password\nHOME\n");
        var input = pipeline.WriteInput("env.txt", content);
        var environment = new Dictionary<string, string?>
        {
            ["RabbitMq__Uri"] = pipeline.ServiceUri,
            ["RabbitMq__Password"] = "not-for-workers",
        };
        await pipeline.StartConsumerAsync(
            "exec:sh -c 'while read -r name; do printenv \"$name\" >/dev/null && echo present || echo absent; done'", environment: environment);

        var (code, producer) = await pipeline.PublishAsync(input, s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal("absent\nabsent\npresent\n", await File.ReadAllTextAsync(input + ".out"));
    }

    private static async Task WaitForFilesAsync(string folder, int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (Directory.GetFiles(folder).Length < count)
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    private static async Task<List<int>> WaitForGrandchildrenAsync(List<int> parents, int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var found = parents.SelectMany(ExecWorkers.Children).ToList();
            if (found.Count >= count)
            {
                return found;
            }
            await Task.Delay(50, deadline.Token);
        }
    }
}
