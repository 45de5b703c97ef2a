using Streaming.Messaging.Topology;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>The queues live on every node, and consumers given the nodes in different orders all take part. Run on
/// each kind of <see cref="ITestCluster"/>.</summary>
public abstract class ReplicationScenarios(ITestCluster cluster, ITestOutputHelper output)
{
    /// <summary>The checks below (three CLI calls and the consumers' nodes) take seconds on a quiet machine; in CI each
    /// CLI call can take ten, and one run found the results queue already deleted, its file of 20,000 lines done.</summary>
    private static readonly TimeSpan s_checks = TimeSpan.FromSeconds(120);

    /// <summary>One batch at a time per consumer: the file outlasts the checks with fewer lines to finish.</summary>
    private const int PacedConcurrency = 1;

    [Fact]
    public async Task PublishWait_ConsumersGivenTheNodesInDifferentOrders_AllGetWorkAndEveryQueueHasAReplicaOnEachNode()
    {
        await using var run = await ClusterRun.CreateAsync(cluster, output, "spread.txt", lines: ClusterRun.LinesOutlasting(s_checks, PacedConcurrency));
        await run.StartPacedConsumersAsync(concurrency: PacedConcurrency);
        run.StartProducer();
        await run.WaitForProgressAsync(0.05);

        foreach (var queue in new[] { QueueNames.Work, QueueNames.Quarantine, run.ResultsQueue() })
        {
            var status = await cluster.QuorumStatusAsync(run.Pipeline.Vhost, queue);
            Assert.True(status.Members.SequenceEqual([0, 1, 2]), $"{queue} has replicas on nodes {string.Join(", ", status.Members)}, not on all three");
        }
        var nodes = new List<int>();
        foreach (var consumer in run.Consumers)
        {
            nodes.Add(await cluster.WaitForConnectionNodeAsync(consumer.Id, TimeSpan.FromSeconds(30)));
        }
        output.WriteLine($"the consumers are connected to nodes {string.Join(", ", nodes)}");
        Assert.True(nodes.SequenceEqual([0, 1, 2]), "consumer i, given the nodes from node i on, should be connected to node i");
        var processed = await run.BatchesProcessedAsync();
        Assert.False(File.Exists(run.Input + ".out"), $"the file was done before the checks were, {run.Meter.Now.TotalSeconds:0} s in: it outlasts {s_checks.TotalSeconds:0} s of them");
        await run.FinishAsync();

        Assert.True(processed.All(p => p > 0), $"batches processed by each consumer: {string.Join(", ", processed)}");
        output.WriteLine($"batches processed by the paced consumers after the checks: {string.Join(", ", processed)}");
    }
}
