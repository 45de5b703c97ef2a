using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>Every node stopped and started again, one at a time, during one file: an upgrade's rolling restart. Run
/// on each kind of <see cref="ITestCluster"/>.</summary>
public abstract class RollingRestartScenarios(ITestCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task PublishWait_EveryNodeRestartedInTurnMidFile_TheFileFinishesExactly()
    {
        await using var run = await ClusterRun.CreateAsync(cluster, output, "rolling restart.txt", lines: 60_000);
        await run.StartPacedConsumersAsync();
        run.StartProducer();
        await run.WaitForProgressAsync(0.05);

        for (var node = 0; node < ITestCluster.Size; node++)
        {
            Assert.False(File.Exists(run.Input + ".out"), $"the file was done before node {node} was restarted: make it longer");
            var from = run.Meter.Now;
            await cluster.StopAsync(node);
            await cluster.StartAsync(node);
            run.ReportStall($"node {node} restarted (back in the cluster after {(run.Meter.Now - from).TotalSeconds:0.0} s)", from);
        }
        await run.FinishAsync();
    }
}
