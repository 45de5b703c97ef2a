using RabbitMQ.Client;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Faults;

/// <summary>Queues deleted under a running job, and a batch the broker dead-lettered at its delivery limit: each is
/// noticed and repaired (resubscribe, publish again, move back to quarantine) — never a silent stall.</summary>
[Collection(BrokerSecondCollection.Name)]
public sealed class QueueLossTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task PublishWait_WorkQueueDeletedMidRun_ConsumersSubscribeAgainProducerRepublishesAndLedgerBalances()
    {
        if (!broker.CanControl)
        {
            return;
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Producer__RetransmitSeconds"] = "3";
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        // About 10 s at 4 batches at a time, so that the backlog wait and the deletion come before the end.
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var input = pipeline.WriteInput("deleted work.txt", content);
        var consumer = await pipeline.StartConsumerAsync("slow:2", TestPipeline.TestConsumer, extra: ["--concurrency", "8", "--prefetch", "4"]);

        // Batches queued when the queue goes are lost, and only those make the producer publish again.
        var producer = pipeline.StartPublish([input], WorkBacklog.WindowAlone(), "--batch-lines", "100");
        await OutputProgress.WaitForBytesAsync(input, content.Length / 5, s_run);
        await WorkBacklog.WaitForAsync(pipeline, minimum: 16);
        await broker.RabbitMqCtlAsync("delete_queue", "-p", pipeline.Vhost, QueueNames.Work);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        // The consumer lives on: its log lines may still be on their way (its logger writes from a queue of its own),
        // and ci34d read its stderr a moment too early.
        await consumer.WaitForOutputAsync("cancelled the consumer", TimeSpan.FromSeconds(30));
        await consumer.WaitForOutputAsync("Consuming streaming.lines again", TimeSpan.FromSeconds(30));
        Assert.Contains("publishing batches", producer.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task PublishWait_ResultsQueueDeletedMidRun_CollectorSubscribesAgainRepublishesAndLedgerBalances()
    {
        if (!broker.CanControl)
        {
            return;
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        // Long enough (about 10 s at 4 lines at a time) to outlast a rabbitmqctl call on a loaded machine: in ci37a the
        // file of 8,000 lines, 8 at a time, was done, and its results queue gone, before the call came.
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var input = pipeline.WriteInput("deleted results.txt", content);
        await pipeline.StartConsumerAsync("slow:2", TestPipeline.TestConsumer, extra: ["--concurrency", "4"]);

        var producer = pipeline.StartPublish([input], "--batch-lines", "100");
        await OutputProgress.WaitForBytesAsync(input, content.Length / 10, s_run);
        var results = ProducerLog.ResultsQueue(producer);
        await broker.RabbitMqCtlAsync("delete_queue", "-p", pipeline.Vhost, results);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Contains($"Consuming {results} again", producer.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    /// <summary>The results queue is the process's, shared by its files: losing it must reach every job, which each
    /// publish their batches still out again at once (the retransmission timeout, at its default of 5 minutes, is far
    /// past this test's limit).</summary>
    [Fact]
    public async Task PublishWait_TwoFilesSharingTheResultsQueueDeletedMidRun_BothRepublishAndFinishByteExact()
    {
        if (!broker.CanControl)
        {
            return;
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var first = EdgeCaseInput.Create(fillerLines: 30_000);
        var second = EdgeCaseInput.Create(fillerLines: 25_000);
        var firstInput = pipeline.WriteInput("shared one.txt", first);
        var secondInput = pipeline.WriteInput("shared two.txt", second);
        await pipeline.StartConsumerAsync("slow:2", TestPipeline.TestConsumer, extra: ["--concurrency", "8"]);

        var producer = pipeline.StartPublish([firstInput, secondInput], "--batch-lines", "100");
        await OutputProgress.WaitForBytesAsync(firstInput, first.Length / 10, s_run);
        await OutputProgress.WaitForBytesAsync(secondInput, second.Length / 10, s_run);
        var results = ProducerLog.ResultsQueue(producer);
        await broker.RabbitMqCtlAsync("delete_queue", "-p", pipeline.Vhost, results);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Contains($"Consuming {results} again", producer.StandardError, StringComparison.Ordinal);
        Ledger.AssertOutput(firstInput, first, "identity");
        Ledger.AssertOutput(secondInput, second, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
        Assert.DoesNotContain((await Ledger.QueueCountsAsync(pipeline)).Keys, q => q.StartsWith(QueueNames.ResultsPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PublishWait_BatchesPastTheDeliveryLimit_AreQuarantinedAgainAndTheFileFinishes()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 1000);
        var input = pipeline.WriteInput("over the limit.txt", content);
        var producer = pipeline.StartPublish([input], "--batch-lines", "100");

        // A consumer that takes every batch and hands it back, until the broker dead-letters them all.
        var rejected = await RejectUntilDeadLetteredAsync(pipeline.Uri, expectedBatches: 1, TimeSpan.FromSeconds(60));
        var consumer = await pipeline.StartConsumerAsync("identity", environment: new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Information" });
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.True(rejected > StreamingTopology.DeliveryLimit, $"only {rejected} rejections");
        await consumer.WaitForOutputAsync("passed the broker's delivery limit", TimeSpan.FromSeconds(30));   // it lives on
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    /// <summary>Gets and nacks (requeue) every message of the work queue until it is empty and at least
    /// <paramref name="expectedBatches"/> sit in the delivery-limit queue; returns the number of nacks.</summary>
    private static async Task<int> RejectUntilDeadLetteredAsync(string uri, int expectedBatches, TimeSpan timeout)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        using var deadline = new CancellationTokenSource(timeout);
        await StreamingTopology.DeclareWorkQueuesAsync(channel, PipelineQueues.Default, deadline.Token);
        var nacks = 0;
        while (true)
        {
            var overLimit = await channel.MessageCountAsync(QueueNames.DeliveryLimit, deadline.Token);
            var waiting = await channel.MessageCountAsync(QueueNames.Work, deadline.Token);
            if (overLimit >= expectedBatches && waiting == 0)
            {
                return nacks;
            }
            var message = await channel.BasicGetAsync(QueueNames.Work, autoAck: false, deadline.Token);
            if (message is null)
            {
                await Task.Delay(50, deadline.Token);
                continue;
            }
            await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, deadline.Token);
            nacks++;
        }
    }
}
