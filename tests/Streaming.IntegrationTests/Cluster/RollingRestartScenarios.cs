using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>Every node stopped and started again, one at a time, during one file: an upgrade's rolling restart. Run
/// on each kind of <see cref="ITestCluster"/>.</summary>
public abstract class RollingRestartScenarios(ITestCluster cluster, ITestOutputHelper output)
{
    /// <summary>Three restarts take about 30 s on a quiet machine and up to twice that in CI, where one run found the
    /// file of 60,000 lines (50 s of the paced consumers) done before the third.</summary>
    private static readonly TimeSpan s_restarts = TimeSpan.FromSeconds(150);

    /// <summary>One batch at a time per consumer: the file outlasts the restarts with fewer lines for the fast
    /// consumers to finish.</summary>
    private const int PacedConcurrency = 1;

    [Fact]
    public async Task PublishWait_EveryNodeRestartedInTurnMidFile_TheFileFinishesExactly()
    {
        await using var run = await ClusterRun.CreateAsync(cluster, output, "rolling restart.txt", lines: ClusterRun.LinesOutlasting(s_restarts, PacedConcurrency));
        await run.StartPacedConsumersAsync(concurrency: PacedConcurrency);
        run.StartProducer();
        await run.WaitForProgressAsync(0.01);

        for (var node = 0; node < ITestCluster.Size; node++)
        {
            Assert.False(File.Exists(run.Input + ".out"),
                $"the file was done before node {node} was restarted, {run.Meter.Now.TotalSeconds:0} s in: it outlasts {s_restarts.TotalSeconds:0} s of restarts");
            var from = run.Meter.Now;
            await cluster.StopAsync(node);
            await cluster.StartAsync(node);
            run.ReportStall($"node {node} restarted (back in the cluster after {(run.Meter.Now - from).TotalSeconds:0.0} s)", from);
        }
        await run.FinishAsync();
    }
}
