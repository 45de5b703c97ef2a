using Streaming.Messaging.Topology;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>
/// One node cut off the network for 30 s while the file is in flight, three times in one file: a follower of
/// <c>streaming.lines</c>, then its leader, then the node holding the producer's connection. The cut-off node is the
/// minority and pauses (<c>pause_minority</c>); the processes connected to it move to the majority; after the heal
/// it rejoins, and the ledger balances.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterPartitionTests(RabbitMqCluster cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan s_partition = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_lookup = TimeSpan.FromSeconds(60);

    /// <summary>Three partitions with their heals: about 120 s on a quiet machine, and allowed twice that.</summary>
    private static readonly TimeSpan s_partitions = TimeSpan.FromSeconds(240);

    /// <summary>One batch at a time per consumer: the file outlasts the partitions with fewer lines for the fast
    /// consumers to finish.</summary>
    private const int PacedConcurrency = 1;

    [Fact]
    public async Task PublishWait_FollowerThenLeaderThenProducersNodeCutOffFor30Seconds_TheFileFinishesExactly()
    {
        await using var run = await ClusterRun.CreateAsync(cluster, output, "partitions.txt", lines: ClusterRun.LinesOutlasting(s_partitions, PacedConcurrency));
        await run.StartPacedConsumersAsync(concurrency: PacedConcurrency);
        var producer = run.StartProducer();
        var vhost = run.Pipeline.Vhost;
        await run.WaitForProgressAsync(0.01);

        var leader = await cluster.LeaderOfAsync(vhost, QueueNames.Work, s_lookup);
        var producerNode = await cluster.WaitForConnectionNodeAsync(producer.Id, s_lookup);
        var follower = Enumerable.Range(0, RabbitMqCluster.Size).First(n => n != leader && (n != producerNode || leader == producerNode));
        await PartitionAsync(run, follower, $"follower of {QueueNames.Work}");

        leader = await cluster.LeaderOfAsync(vhost, QueueNames.Work, s_lookup);
        await PartitionAsync(run, leader, $"leader of {QueueNames.Work}");

        producerNode = await cluster.WaitForConnectionNodeAsync(producer.Id, s_lookup);
        await PartitionAsync(run, producerNode, "the producer's");
        await run.FinishAsync();
    }

    private async Task PartitionAsync(ClusterRun run, int node, string role)
    {
        Assert.False(File.Exists(run.Input + ".out"),
            $"the file was done before node {node} ({role}) was cut off, {run.Meter.Now.TotalSeconds:0} s in: it outlasts {s_partitions.TotalSeconds:0} s of partitions");
        var from = run.Meter.Now;
        await cluster.CutOffAsync(node);
        await Task.Delay(s_partition);
        var healedAt = run.Meter.Now;
        var unpaused = await cluster.ReconnectAsync(node);
        var whole = run.Meter.Now - healedAt;
        run.ReportStall($"node {node} ({role}) cut off for {s_partition.TotalSeconds:0} s, the cluster whole again {whole.TotalSeconds:0.0} s after the heal" +
                        (unpaused ? "" : " (the node stayed paused and was restarted)"), from);
    }
}
