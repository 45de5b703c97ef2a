using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.IntegrationTests.Watching;

namespace Streaming.IntegrationTests.Faults;

/// <summary><c>publish --wait</c> interrupted once keeps its checkpoint to resume; interrupted twice it cancels: the
/// consumers skip its queued batches and nothing of it is left, on disk or in the broker.</summary>
[Collection(BrokerSecondCollection.Name)]
public sealed class PublishInterruptTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task PublishWait_InterruptedTwice_CancelledWithNothingLeftAndTheFleetIdleWithinFiveSeconds()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var input = pipeline.WriteInput("cancelled.txt", CancelledWork.Lines(600_000));
        // About 8,000 lines/s: the 32 batches of 10,000 lines the window keeps out are 40 s of work.
        var consumer = await pipeline.StartConsumerAsync("delay:1", extra: ["--concurrency", "8"]);
        var producer = pipeline.StartPublish([input]);
        await Checkpoints.WaitForLineAsync(input, minimumLine: 20_000, producer);

        var interrupted = DateTime.Now;
        producer.Interrupt();
        await Task.Delay(200);      // Ctrl-C, Ctrl-C
        producer.Interrupt();
        var code = await producer.WaitForExitAsync(s_run);
        var freed = await CancelledWork.WaitUntilFreedAsync(pipeline, interrupted, [consumer], TimeSpan.FromSeconds(60));

        Console.WriteLine($"publish interrupted twice: the fleet freed {freed.TotalSeconds:0.00} s after the first interrupt");
        Assert.True(code == 130, producer.Describe());
        Assert.Contains("interrupted twice: cancelled", producer.StandardError, StringComparison.Ordinal);
        Assert.True(freed <= TimeSpan.FromSeconds(5), $"freed {freed.TotalSeconds:0.00} s after the first interrupt");
        Assert.True(CancelledWork.SkippedForCancel(consumer) > 0, consumer.Describe());
        Assert.Equal(["cancelled.txt"], Directory.EnumerateFileSystemEntries(pipeline.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(await CancelledWork.OtherQueuesAsync(pipeline));
    }

    [Fact]
    public async Task PublishWait_InterruptedOnce_KeepsTheCheckpointAndTheNextRunResumesWithExactOutput()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 12_000);
        var input = pipeline.WriteInput("interrupted.txt", content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "5"]);
        var first = pipeline.StartPublish([input], "--batch-lines", "100");
        await Checkpoints.WaitForLineAsync(input, minimumLine: 2000, first);

        first.Interrupt();
        Assert.True(await first.WaitForExitAsync(s_run) == 130, first.Describe());
        Assert.Contains("run the same command again to resume", first.StandardError, StringComparison.Ordinal);
        Assert.True(File.Exists(input + ".checkpoint.json"), first.Describe());
        var verbose = new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Information" };
        var second = pipeline.StartPublish([input], verbose, "--batch-lines", "100");

        Assert.True(await second.WaitForExitAsync(s_run) == 0, second.Describe());
        Assert.Contains("resumes at line", second.StandardError, StringComparison.Ordinal);
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
    }

    [Fact]
    public async Task PublishWait_StoppedBeforeAnyConsumer_ALaterConsumerSkipsTheBatchesWhoseResultsQueueIsGone()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var input = pipeline.WriteInput("gone.txt", CancelledWork.Lines(100_000));
        var producer = pipeline.StartPublish([input]);
        await CancelledWork.WaitForQueuedAsync(pipeline, 10, s_run);
        producer.Terminate();       // stopped, not cancelled: its results queue goes with it, its checkpoint stays
        Assert.True(await producer.WaitForExitAsync(s_run) == 130, producer.Describe());

        // Running them would take 10 × 10,000 lines × 1 ms / 2 = 50 s; a batch takes 5 s.
        var consumer = await pipeline.StartConsumerAsync("delay:1", extra: ["--concurrency", "2"]);
        var freed = await CancelledWork.WaitUntilFreedAsync(pipeline, DateTime.Now, [consumer], TimeSpan.FromSeconds(60));

        Console.WriteLine($"batches of a producer gone: freed {freed.TotalSeconds:0.00} s after the consumer started");
        Assert.True(freed <= TimeSpan.FromSeconds(5), $"freed {freed.TotalSeconds:0.00} s after the consumer started");
        Assert.Equal(10, CancelledWork.SkippedForGoneQueue(consumer));
        Assert.True(File.Exists(input + ".checkpoint.json"));
    }
}
