using System.Diagnostics;
using System.Text;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// Issue 21, items 6 and 7, on a real broker: one producer collects the results of every file it runs through one
/// results subscription that handles one delivery at a time. An output that refuses writes (here made immutable with
/// <c>chattr +i</c>, which fails writes with EPERM, not an I/O error) used to be sent back to the queue and redelivered
/// in a hot loop (28,504 warnings with stack traces in 25 s); and a pause, once there was one, waited inside that one
/// handler, so every other file of the process stood still with it. Now the file pauses with one line in the log, the
/// other file finishes meanwhile, and the paused one finishes byte-exact once its output takes writes again. Needs root
/// (CI runs as root) for <c>chattr</c>.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class StalledOutputTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task PublishWait_OneOutputMadeImmutable_ItPausesOnceTheOtherFileFinishesMeanwhileAndBothEndExact()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var stalledContent = Lines("stalled", 12_000);
        var otherContent = Lines("other", 12_000);
        var stalled = pipeline.WriteInput("stalled.txt", stalledContent);
        var other = pipeline.WriteInput("other.txt", otherContent);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);

        var producer = pipeline.StartPublish([stalled, other], "--batch-lines", "200");
        var partial = stalled + ".out.partial";
        await WaitUntilAsync(() => File.Exists(partial) && new FileInfo(partial).Length > 0, "the first output of stalled.txt", producer);
        await RunAsync("chattr", "+i", partial);
        try
        {
            await producer.WaitForOutputAsync("paused until it can", s_run);
            await WaitUntilAsync(() => File.Exists(other + ".summary.json"), "other.txt to finish while stalled.txt is paused", producer);

            Assert.False(File.Exists(stalled + ".summary.json"), "stalled.txt finished while its output was immutable");
            Assert.DoesNotContain("written again after a pause", producer.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("chattr", "-i", partial);
        }
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Ledger.AssertOutput(stalled, stalledContent, "delay");
        Ledger.AssertOutput(other, otherContent, "delay");
        var log = producer.StandardError;
        Assert.Equal(1, Count(log, "paused until it can"));
        Assert.Equal(1, Count(log, "written again after a pause"));
        Assert.Equal(0, Count(log, "Handling a result"));
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);       // no stack trace
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    private static byte[] Lines(string name, int count)
    {
        var builder = new StringBuilder(count * 24);
        for (var i = 0; i < count; i++)
        {
            builder.Append(name).Append(' ').Append(i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
        return Encoding.ASCII.GetBytes(builder.ToString());
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static async Task WaitUntilAsync(Func<bool> done, string what, ServiceProcess producer)
    {
        var waited = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(waited.Elapsed < s_run, $"waited {s_run} for {what}: {producer.Describe()}");
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }

    private static async Task RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)}: exit {process.ExitCode}: {await error}");
    }
}
