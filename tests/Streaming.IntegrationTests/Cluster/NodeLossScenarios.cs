using Streaming.Messaging.Topology;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>
/// A node dies (<c>kill -9</c>) mid-file and stays down until the file is done: the one leading
/// <c>streaming.lines</c>, the one the producer is connected to, the one a consumer is connected to. Every process
/// carries on through another node, and the ledger balances. Run on each kind of <see cref="ITestCluster"/>.
/// </summary>
public abstract class NodeLossScenarios(ITestCluster cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan s_failover = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PublishWait_NodeLeadingTheWorkQueueKilledAndLeftDown_AnotherLeadsAndTheFileFinishesExactly()
    {
        await using var run = await ClusterRun.CreateAsync(cluster, output, "leader killed.txt", lines: 40_000);
        await run.StartPacedConsumersAsync();
        var leader = await cluster.LeaderOfAsync(run.Pipeline.Vhost, QueueNames.Work, s_failover);
        run.StartProducer(firstNode: (leader + 1) % ITestCluster.Size);   // the producer elsewhere: only the leader is lost
        await run.WaitForProgressAsync(0.1);

        var from = run.Meter.Now;
        await cluster.KillAsync(leader);
        var newLeader = await cluster.LeaderOfAsync(run.Pipeline.Vhost, QueueNames.Work, s_failover);
        await run.WaitForProgressAsync(0.25);
        await run.FinishAsync();

        Assert.NotEqual(leader, newLeader);
        Assert.False(cluster.IsRunning(leader), "the killed node came back before the file was done");
        run.ReportStall($"kill -9 of node {leader}, the leader of {QueueNames.Work} (new leader: node {newLeader})", from);
    }

    [Fact]
    public async Task PublishWait_ProducersNodeKilledAndLeftDown_ProducerMovesToAnotherNodeAndTheFileFinishesExactly()
    {
        await using var run = await ClusterRun.CreateAsync(cluster, output, "producer node killed.txt", lines: 40_000);
        await run.StartPacedConsumersAsync();
        var leader = await cluster.LeaderOfAsync(run.Pipeline.Vhost, QueueNames.Work, s_failover);
        var producer = run.StartProducer(firstNode: (leader + 1) % ITestCluster.Size);   // not the work queue's leader
        await run.WaitForProgressAsync(0.1);
        var node = await cluster.WaitForConnectionNodeAsync(producer.Id, s_failover);
        Assert.NotEqual(leader, node);

        var from = run.Meter.Now;
        await cluster.KillAsync(node);
        var moved = await cluster.WaitForConnectionNodeAsync(producer.Id, s_failover, notThisOne: node);
        var movedAfter = run.Meter.Now - from;
        Assert.False(cluster.IsRunning(node), "the killed node came back before the producer moved");
        await run.WaitForProgressAsync(0.25);
        await run.FinishAsync();

        Assert.False(cluster.IsRunning(node), "the killed node came back before the file was done");
        output.WriteLine($"the producer moved from node {node} to node {moved} in {movedAfter.TotalSeconds:0.0} s");
        run.ReportStall($"kill -9 of node {node}, the producer's", from);
    }

    [Fact]
    public async Task PublishWait_ConsumersNodeKilledAndLeftDown_ConsumerMovesToAnotherNodeAndTheFileFinishesExactly()
    {
        await using var run = await ClusterRun.CreateAsync(cluster, output, "consumer node killed.txt", lines: 40_000);
        await run.StartPacedConsumersAsync();
        var leader = await cluster.LeaderOfAsync(run.Pipeline.Vhost, QueueNames.Work, s_failover);
        var producer = run.StartProducer(firstNode: (leader + 1) % ITestCluster.Size);
        await run.WaitForProgressAsync(0.1);
        var producerNode = await cluster.WaitForConnectionNodeAsync(producer.Id, s_failover);
        // Consumer i is given the nodes from node i on: the third node holds neither the leader nor the producer.
        var node = (leader + 2) % ITestCluster.Size;
        var consumer = run.Consumers[node];
        Assert.Equal(node, await cluster.WaitForConnectionNodeAsync(consumer.Id, s_failover));

        var from = run.Meter.Now;
        await cluster.KillAsync(node);
        var moved = await cluster.WaitForConnectionNodeAsync(consumer.Id, s_failover, notThisOne: node);
        var movedAfter = run.Meter.Now - from;
        Assert.False(cluster.IsRunning(node), "the killed node came back before the consumer moved");
        Assert.Equal(producerNode, await cluster.WaitForConnectionNodeAsync(producer.Id, s_failover));
        var index = run.Consumers.ToList().IndexOf(consumer);
        var processedBefore = (await run.BatchesProcessedAsync())[index];
        // Until it processes a batch on its new node: a fixed point of the output came too soon where the move took
        // 12 s (a killed container's address is gone, so the client's connect to it fails slowly), the other two
        // consumers having carried the file on meanwhile.
        var tookPart = await run.WaitForBatchesAsync(index, processedBefore);
        await run.FinishAsync();

        Assert.True(tookPart, $"the consumer processed nothing after it moved (batches: {processedBefore}).{Environment.NewLine}{consumer.Describe()}");
        Assert.False(cluster.IsRunning(node), "the killed node came back before the file was done");
        output.WriteLine($"the consumer moved from node {node} to node {moved} in {movedAfter.TotalSeconds:0.0} s");
        run.ReportStall($"kill -9 of node {node}, a consumer's (the producer's is node {producerNode})", from);
    }
}
