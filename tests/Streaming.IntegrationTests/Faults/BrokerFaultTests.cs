using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// The broker itself fails under a running job: killed with SIGKILL (twice in one run), stopped gracefully and
/// started again, or out of memory or disk (alarms block the publishers). On a node of their own (<see cref="FaultBroker"/>).
/// No service may exit or hang past its deadline, and the ledger must balance.
/// </summary>
[Collection(FaultBrokerCollection.Name)]
public sealed class BrokerFaultTests(FaultBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task PublishWait_BrokerKilledTwiceMidRun_NoServiceExitsAndLedgerBalances()
    {
        await using var pipeline = await CreatePipelineAsync();
        var content = EdgeCaseInput.Create(fillerLines: 40_000);
        var input = pipeline.WriteInput("killed broker.txt", content);
        var consumers = new[]
        {
            await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]),
            await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]),
        };

        var producer = pipeline.StartPublish([input], "--batch-lines", "200");
        foreach (var fraction in new[] { 5, 2 })
        {
            await OutputProgress.WaitForBytesAsync(input, content.Length / fraction, s_run);
            await broker.KillAsync();
            await broker.StartAsync();
        }
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.All(consumers, c => Assert.False(c.HasExited, c.Describe()));
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_BrokerRestartedGracefullyMidRun_NoServiceExitsAndLedgerBalances()
    {
        await using var pipeline = await CreatePipelineAsync();
        var content = EdgeCaseInput.Create(fillerLines: 30_000);
        var input = pipeline.WriteInput("restarted broker.txt", content);
        var consumer = await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);

        var producer = pipeline.StartPublish([input], "--batch-lines", "200");
        await OutputProgress.WaitForBytesAsync(input, content.Length / 4, s_run);
        await broker.StopAsync();
        await broker.StartAsync();
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.False(consumer.HasExited, consumer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Theory]
    [InlineData("set_vm_memory_high_watermark", "0.0000001", "0.4")]
    [InlineData("set_disk_free_limit", "1000000GB", "50MB")]
    public async Task PublishWait_BrokerAlarm_PublishersBlockProgressSaysSoAndAllResumesWhenCleared(string command, string raise, string clear)
    {
        await using var pipeline = await CreatePipelineAsync();
        pipeline.ServiceEnvironment["Producer__ProgressIntervalSeconds"] = "1";
        var content = EdgeCaseInput.Create(fillerLines: 5000);
        var input = pipeline.WriteInput("alarm.txt", content);
        var consumer = await pipeline.StartConsumerAsync("identity");

        ServiceProcess producer;
        await broker.RabbitMqCtlAsync(command, raise);
        try
        {
            producer = pipeline.StartPublish([input], "--batch-lines", "100");
            await producer.WaitForOutputAsync("the broker is blocking publishers", TimeSpan.FromSeconds(60));
            Assert.False(File.Exists(input + ".out"));
        }
        finally
        {
            await broker.RabbitMqCtlAsync(command, clear);
        }
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.False(consumer.HasExited, consumer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task Consumer_SlowerThanConsumerTimeout_NoticesTheClosedChannelSubscribesAgainAndOutputIsExact()
    {
        await using var pipeline = await CreatePipelineAsync();
        // When the broker closes a channel whose handler is still running, RabbitMQ.Client 7 holds the connection until
        // that handler returns, and the handler waits for a publish confirm the connection cannot read: only the
        // publish timeout ends that (measured here with 7.2.2 and 3.10.8). A short one keeps this test short.
        pipeline.ServiceEnvironment["RabbitMq__PublishTimeoutSeconds"] = "4";
        // Two batches of 150 lines at 25 ms a line, one line at a time: each delivery is held about 3.75 s, past the
        // 3 s timeout. Without a new subscription the second batch would never be consumed.
        var content = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 300).Select(i => $"slow line {i}\n")));
        var input = pipeline.WriteInput("slow.txt", content);
        // 3.10 checks the timeout on each channel's tick, once a minute by default: tick every 500 ms here.
        await broker.RabbitMqCtlAsync("eval", "application:set_env(rabbit, consumer_timeout, 3000).");
        await broker.RabbitMqCtlAsync("eval", "application:set_env(rabbit, channel_tick_interval, 500).");
        try
        {
            var consumer = await pipeline.StartConsumerAsync("slow:25", TestPipeline.TestConsumer, extra: ["--concurrency", "1", "--prefetch", "1"]);
            var producer = pipeline.StartPublish([input], "--batch-lines", "150");
            var code = await producer.WaitForExitAsync(s_run);

            Assert.True(code == 0, producer.Describe());
            Assert.Contains("subscribing again", consumer.StandardError, StringComparison.Ordinal);
            Assert.False(consumer.HasExited, consumer.Describe());
        }
        finally
        {
            await broker.RabbitMqCtlAsync("eval", "application:set_env(rabbit, consumer_timeout, 1800000).");
            await broker.RabbitMqCtlAsync("eval", "application:set_env(rabbit, channel_tick_interval, 60000).");
        }
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    private async Task<TestPipeline> CreatePipelineAsync()
    {
        var pipeline = await TestPipeline.CreateAsync(broker);
        // A publish can hang after a broker restart: keep the retry short so the run stays within its deadline.
        pipeline.ServiceEnvironment["RabbitMq__PublishTimeoutSeconds"] = "10";
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        return pipeline;
    }
}
