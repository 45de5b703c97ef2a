using System.Globalization;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>What the scenarios ask of any <see cref="ITestCluster"/>: the services' list of node URIs, a queue's
/// leader, and which node a process is connected to (from its sockets: a node that is down cannot say).</summary>
public static class ClusterQueries
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The comma-separated list of every node's URI for <paramref name="vhostUri"/>'s vhost, starting with
    /// the nodes in <paramref name="order"/> (by default 0, 1, 2).</summary>
    public static string ServiceUris(this ITestCluster cluster, string vhostUri, params int[] order)
    {
        var vhost = new Uri(vhostUri).AbsolutePath.TrimStart('/');
        var nodes = order.Concat(Enumerable.Range(0, ITestCluster.Size).Except(order));
        return string.Join(",", nodes.Select(n => AmqpUris.WithVhost(cluster.NodeUri(n), Uri.UnescapeDataString(vhost)).ToString()));
    }

    /// <summary>Waits until <paramref name="queue"/> has a leader (it may not exist yet) and returns its index.</summary>
    public static async Task<int> LeaderOfAsync(this ITestCluster cluster, string vhost, string queue, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            try
            {
                if ((await cluster.QuorumStatusAsync(vhost, queue)).Leader is { } leader)
                {
                    return leader;
                }
            }
            catch (InvalidOperationException) when (!deadline.IsCancellationRequested)
            {
                // The queue is not declared yet, or its members are electing.
            }
            await Task.Delay(s_pollInterval, deadline.Token);
        }
    }

    /// <summary>The nodes process <paramref name="pid"/> has AMQP connections to now (by index), from its sockets
    /// (<c>ss</c>): a node's own listing would need the broker, and a node that is down or cut off cannot answer.</summary>
    public static async Task<IReadOnlyList<int>> NodesConnectedToAsync(this ITestCluster cluster, int pid)
    {
        await using var ss = ServiceProcess.Start("/usr/bin/ss",
            ["-Htnp", "state", "established", "dport", "=", ":" + NodePlacement.AmqpPort.ToString(CultureInfo.InvariantCulture)], name: "ss");
        if (await ss.WaitForExitAsync(TimeSpan.FromSeconds(30)) != 0)
        {
            throw new InvalidOperationException($"ss failed.{Environment.NewLine}{ss.Describe()}");
        }
        var owner = $",pid={pid.ToString(CultureInfo.InvariantCulture)},";
        var addresses = cluster.Addresses.ToList();
        var nodes = new List<int>();
        foreach (var line in ss.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && line.Contains(owner, StringComparison.Ordinal))
            {
                var node = addresses.IndexOf(fields[3][..fields[3].LastIndexOf(':')]);
                if (node >= 0)
                {
                    nodes.Add(node);
                }
            }
        }
        return nodes;
    }

    /// <summary>Waits until process <paramref name="pid"/> is connected to exactly one node, other than
    /// <paramref name="notThisOne"/> when given, and returns it.</summary>
    public static async Task<int> WaitForConnectionNodeAsync(this ITestCluster cluster, int pid, TimeSpan timeout, int? notThisOne = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        IReadOnlyList<int> nodes = [];
        while (true)
        {
            nodes = await cluster.NodesConnectedToAsync(pid);
            if (nodes.Count == 1 && nodes[0] != notThisOne)
            {
                return nodes[0];
            }
            try
            {
                await Task.Delay(s_pollInterval, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"process {pid} was not connected to one node (other than {notThisOne}) within {timeout.TotalSeconds:0} s; " +
                    $"connected to: {string.Join(", ", nodes)}");
            }
        }
    }
}
