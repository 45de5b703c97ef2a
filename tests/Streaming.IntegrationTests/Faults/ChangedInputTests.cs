using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Diagnostics;

namespace Streaming.IntegrationTests.Faults;

/// <summary>A resumed run checks that its input is the one its checkpoint was made from by the content of the part
/// already published, not only by path, length and modification time (which <c>cp -p</c> and <c>rsync -t</c> keep).</summary>
[Collection(BrokerCollection.Name)]
public sealed class ChangedInputTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task PublishWait_InputRewrittenWithSameLengthAndTime_RefusesToResumeWithExitTwo()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        var input = pipeline.WriteInput("rewritten.txt", content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "4"]);
        var doomed = pipeline.StartPublish([input], new Dictionary<string, string?>
        {
            [FaultInjection.EnvironmentVariable] = FaultInjection.CollectorAfterCheckpoint + "@1",
        }, "--batch-lines", "100");
        Assert.NotEqual(0, await doomed.WaitForExitAsync(s_run));
        Assert.True(File.Exists(input + ".checkpoint.json"), doomed.Describe());

        // Another file of the same length under the same name and modification time, as `cp -p` leaves it.
        var written = File.GetLastWriteTimeUtc(input);
        var changed = (byte[])content.Clone();
        var first = Array.FindIndex(changed, b => b is >= (byte)'a' and <= (byte)'z');
        changed[first] = (byte)(changed[first] - 32);
        await File.WriteAllBytesAsync(input, changed);
        File.SetLastWriteTimeUtc(input, written);

        var again = pipeline.StartPublish([input], "--batch-lines", "100");
        var code = await again.WaitForExitAsync(s_run);

        Assert.True(code == 2, again.Describe());
        var message = again.StandardError.Trim();
        Assert.DoesNotContain('\n', message);
        Assert.Contains("is not the input its checkpoint was made from", message, StringComparison.Ordinal);
        Assert.True(File.Exists(input + ".checkpoint.json"), "the checkpoint was removed");

        // The input it was made from, back under the same name and time: it resumes from the checkpoint.
        await File.WriteAllBytesAsync(input, content);
        File.SetLastWriteTimeUtc(input, written);
        var resumed = pipeline.StartPublish([input], new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Information" },
            "--batch-lines", "100");
        Assert.True(await resumed.WaitForExitAsync(s_run) == 0, resumed.Describe());
        Assert.Contains("resumes at line", resumed.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }
}
