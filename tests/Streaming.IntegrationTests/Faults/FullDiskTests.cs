using System.Diagnostics;
using System.Text;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Diagnostics;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// An output that cannot be written (a full disk) pauses the job and loses nothing: a batch is written whole or not
/// at all, and the job goes on by itself once there is room, without a duplicate line.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class FullDiskTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task PublishWait_WritesFailHalfWayThroughBatches_PausesThenFinishesWithoutDuplicates()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 6_000);
        var input = pipeline.WriteInput("torn.txt", content);
        await pipeline.StartConsumerAsync("identity");
        await pipeline.StartConsumerAsync("identity");

        // From the 3rd batch write on, 6 writes in a row stop half-way with an I/O error (as ENOSPC does).
        var producer = pipeline.StartPublish([input], new Dictionary<string, string?> { [FaultInjection.FailWritesVariable] = "3:6" },
            "--batch-lines", "200");
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Contains("paused until it can", producer.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(input, content, "identity");
        Assert.Equal(ReferenceOutput.SplitLines(content).Count, TestPipeline.ReadSummary(input).GetProperty("lines").GetInt64());
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    /// <summary>The finding this guards: 200,000 lines to a 2 MB tmpfs grown to 200 MB after a while gave exit 0 and
    /// 200,789 lines. Needs root (CI runs as root) to mount a tmpfs.</summary>
    [Fact]
    public async Task PublishWait_OutputOnATmpfsThatFillsUpThenGrows_PausesThenFinishesByteExact()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var lines = 200_000;
        var builder = new StringBuilder(lines * 25);
        for (var i = 0; i < lines; i++)
        {
            builder.Append(i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)).Append(" full disk line\n");
        }
        var content = Encoding.ASCII.GetBytes(builder.ToString());
        var input = pipeline.WriteInput("full.txt", content);
        var outDirectory = Path.Combine(pipeline.Directory, "small-disk");
        Directory.CreateDirectory(outDirectory);
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=2m", "none", outDirectory);
        try
        {
            await pipeline.StartConsumerAsync("identity");
            await pipeline.StartConsumerAsync("identity");

            var producer = pipeline.StartPublish([input], "--out", outDirectory);
            await producer.WaitForOutputAsync("paused until it can", s_run);
            await Task.Delay(TimeSpan.FromSeconds(2));       // a few more failed attempts while it stays full
            await RunAsync("mount", "-o", "remount,size=200m", outDirectory);
            var code = await producer.WaitForExitAsync(s_run);

            Assert.True(code == 0, producer.Describe());
            Assert.Contains("written again after a pause", producer.StandardError, StringComparison.Ordinal);
            Ledger.AssertOutput(Path.Combine(outDirectory, "full.txt"), content, "identity");
            await Ledger.AssertQueuesDrainedAsync(pipeline);
        }
        finally
        {
            await RunAsync("umount", "--lazy", outDirectory);
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
