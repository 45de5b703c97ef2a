using System.Globalization;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>One owner per output: a second <c>publish</c> of the same output, or a second <c>watch</c> on the same data
/// folder, exits 2 at once naming the process that holds it, and the first one finishes untouched.</summary>
[Collection(BrokerCollection.Name)]
public sealed class OutputOwnerTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan s_refusal = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task PublishWait_SecondOwnerOfTheSameOutput_ExitsTwoAtOnceNamingTheFirstAndTouchesNothing()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var input = pipeline.WriteInput("same.txt", content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "4"]);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "4"]);
        var first = pipeline.StartPublish([input], "--batch-lines", "500");
        await WaitForAsync(() => File.Exists(input + ".out.partial") && new FileInfo(input + ".out.partial").Length > 0, first);

        var second = pipeline.StartPublish([input], "--batch-lines", "500");
        var secondCode = await second.WaitForExitAsync(s_refusal);

        Assert.True(secondCode == 2, second.Describe());
        var message = second.StandardError.Trim();
        Assert.DoesNotContain('\n', message);
        Assert.Contains(first.Id.ToString(CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        Assert.Contains("same.txt.out", message, StringComparison.Ordinal);
        Assert.False(first.HasExited, "the first owner stopped while the second was refused: " + first.Describe());
        var code = await first.WaitForExitAsync(s_run);
        Assert.True(code == 0, first.Describe());
        Ledger.AssertOutput(input, content, "identity");
        Assert.False(File.Exists(input + ".lock"), "the lock file was left behind");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task Watch_SecondServiceOnTheSameDataFolder_ExitsTwoAtOnceNamingTheFirst()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var data = Path.Combine(pipeline.Directory, "data");
        await using var first = ServiceProcess.StartProducer(["watch", "--data", data, "--rabbitmq", pipeline.Uri]);
        await first.WaitForOutputAsync("Watching", TimeSpan.FromSeconds(60));

        await using var second = ServiceProcess.StartProducer(["watch", "--data", data, "--rabbitmq", pipeline.Uri]);
        var code = await second.WaitForExitAsync(s_refusal);

        Assert.True(code == 2, second.Describe());
        var message = second.StandardError.Trim();
        Assert.DoesNotContain('\n', message);
        Assert.Contains(first.Id.ToString(CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        Assert.False(first.HasExited, first.Describe());
        first.Terminate();
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        // The lock dies with its owner: a new service takes the folder.
        await using var third = ServiceProcess.StartProducer(["watch", "--data", data, "--rabbitmq", pipeline.Uri]);
        await third.WaitForOutputAsync("Watching", TimeSpan.FromSeconds(60));
        third.Kill();
        await third.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await using var fourth = ServiceProcess.StartProducer(["watch", "--data", data, "--rabbitmq", pipeline.Uri]);
        await fourth.WaitForOutputAsync("Watching", TimeSpan.FromSeconds(60));
        fourth.Terminate();
        Assert.Equal(0, await fourth.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    private static async Task WaitForAsync(Func<bool> condition, ServiceProcess process)
    {
        using var timeout = new CancellationTokenSource(s_run);
        while (!condition())
        {
            Assert.False(process.HasExited, process.Describe());
            await Task.Delay(50, timeout.Token);
        }
    }
}
