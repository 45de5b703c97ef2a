using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// A quorum queue that the broker loses while it is being created (a kill -9 within a second of its declaration)
/// comes back without a leader and never answers again; a chaos run hit it with a job's results queue, and the job
/// waited forever. Stopping the queue's Ra server puts a queue in exactly that state on demand. The job must notice,
/// move to a fresh results queue, publish the batches still out again, and finish exactly.
/// </summary>
[Collection(FaultBrokerCollection.Name)]
public sealed class ResultsQueueLossTests(FaultBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task PublishWait_ResultsQueueLosesItsLeaderMidRun_JobMovesToAFreshQueueAndLedgerBalances()
    {
        var (pipeline, input, content) = await StartPipelineAsync();
        await using var _ = pipeline;
        var producer = await PublishPartlyAsync(pipeline, input, content);
        var results = ResultsQueueOf(producer);
        await StopLeaderAsync(pipeline, results);
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Contains($"the results queue {results} did not answer", producer.StandardError, StringComparison.Ordinal);
        await AssertExactAndCleanAsync(pipeline, input, content);
    }

    /// <summary>A consume on a leaderless quorum queue makes the broker close the whole connection (541): with the
    /// client's topology recovery, which consumes every queue again, the connection never came back.</summary>
    [Fact]
    public async Task PublishWait_ResultsQueueLeaderlessThenEveryConnectionClosed_ConnectionsRecoverAndJobFinishesExactly()
    {
        var (pipeline, input, content) = await StartPipelineAsync();
        await using var _ = pipeline;
        var producer = await PublishPartlyAsync(pipeline, input, content);
        var results = ResultsQueueOf(producer);
        await StopLeaderAsync(pipeline, results);
        await broker.RabbitMqCtlAsync("eval", "[rabbit_networking:close_connection(P, \"test\") || P <- rabbit_networking:connections()].");
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Contains($"the results queue {results} did not answer", producer.StandardError, StringComparison.Ordinal);
        await AssertExactAndCleanAsync(pipeline, input, content);
    }

    /// <summary>A producer killed while its results queue is leaderless (a broker kill -9 right after the declaration)
    /// is resumed: the run answers to a queue of its own and publishes again from the checkpoint, and the leaderless
    /// queue the checkpoint names is deleted.</summary>
    [Fact]
    public async Task PublishWait_ResumedOnALeaderlessResultsQueue_StartsOnAFreshQueueAndFinishesExactly()
    {
        var (pipeline, input, content) = await StartPipelineAsync();
        await using var _ = pipeline;
        var first = await PublishPartlyAsync(pipeline, input, content);
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var results = ResultsQueueOf(first);
        await StopLeaderAsync(pipeline, results);
        var second = pipeline.StartPublish([input], "--batch-lines", "200");
        var code = await second.WaitForExitAsync(s_run);

        Assert.True(code == 0, second.Describe());
        Assert.NotEqual(results, ResultsQueueOf(second));
        await AssertExactAndCleanAsync(pipeline, input, content);
    }

    private async Task<(TestPipeline Pipeline, string Input, byte[] Content)> StartPipelineAsync()
    {
        var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        // A result already on its way to the lost queue waits out this timeout in the consumer before it is sent again.
        pipeline.ServiceEnvironment["RabbitMq__PublishTimeoutSeconds"] = "10";
        var content = EdgeCaseInput.Create(fillerLines: 20_000);
        var input = pipeline.WriteInput("leaderless results.txt", content);
        await pipeline.StartConsumerAsync("delay:4", extra: ["--concurrency", "8"]);
        return (pipeline, input, content);
    }

    /// <summary>Starts the job and returns once a fifth of its output is written.</summary>
    private static async Task<ServiceProcess> PublishPartlyAsync(TestPipeline pipeline, string input, byte[] content)
    {
        var producer = pipeline.StartPublish([input], "--batch-lines", "200");
        await OutputProgress.WaitForBytesAsync(input, content.Length / 5, s_run);
        return producer;
    }

    private static string ResultsQueueOf(ServiceProcess producer) => ProducerLog.ResultsQueue(producer);

    /// <summary>Leaves the quorum queue without a leader, as a broker kill -9 right after its declaration does.</summary>
    private async Task StopLeaderAsync(TestPipeline pipeline, string queue) =>
        await broker.RabbitMqCtlAsync("eval",
            $"ra:stop_server(quorum_queues, {{binary_to_atom(<<\"{pipeline.Vhost}_{queue}\">>, utf8), node()}}).");

    private static async Task AssertExactAndCleanAsync(TestPipeline pipeline, string input, byte[] content)
    {
        Ledger.AssertOutput(input, content, "identity");
        await Ledger.AssertQueuesDrainedAsync(pipeline);
        Assert.DoesNotContain((await Ledger.QueueCountsAsync(pipeline)).Keys, q => q.StartsWith(QueueNames.ResultsPrefix, StringComparison.Ordinal));
    }
}
