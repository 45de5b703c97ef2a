using System.Globalization;
using System.Security.Cryptography;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>
/// One network namespace per cluster node, each joined by a veth pair to a bridge in the root namespace, which holds
/// the first address of a private /24 (10.200-249.x.0/24, one not routed here yet) and is how the tests' processes
/// reach the nodes. Cutting a node off is <c>ip link set eth0 down</c> inside its namespace: its traffic to the other
/// nodes and to every client stops without a reset, as a pulled cable would. Needs root (CI runs as root).
/// </summary>
/// <remarks>
/// A running Docker engine sets the FORWARD chain's policy to DROP and turns on
/// <c>net.bridge.bridge-nf-call-iptables</c>, so frames crossing the bridge from one node to another pass through
/// iptables and are dropped: the nodes never join. The bridge therefore gets an ACCEPT rule of its own at the top of
/// FORWARD (marked with its name, removed with it), when iptables is installed; without iptables there is no engine's
/// policy to get past.
/// Disposing kills every process left in the namespaces (epmd, which each node starts in its own), then deletes the
/// namespaces and the bridge (the veths go with them). A watchdog shell does the same if the test process dies first.
/// </remarks>
internal sealed class ClusterNetwork : IAsyncDisposable
{
    public const string NodeInterface = "eth0";
    private const string Ip = "/usr/sbin/ip";
    private const string Iptables = "/usr/sbin/iptables";
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(30);

    // $1 = pid to watch, $2 = bridge, $3... = namespaces. Writes nothing (its pipes die with us).
    private const string WatchdogScript = """
        exec >/dev/null 2>&1 </dev/null
        watched=$1; bridge=$2; shift 2
        forward_rule() { /usr/sbin/iptables "$1" FORWARD -i "$bridge" -o "$bridge" -m comment --comment "streamtest $bridge" -j ACCEPT; }
        while kill -0 "$watched" 2>/dev/null; do sleep 1; done
        for ns in "$@"; do
          for pid in $(/usr/sbin/ip netns pids "$ns"); do kill -KILL "$pid"; done
        done
        sleep 1
        for ns in "$@"; do /usr/sbin/ip netns delete "$ns"; done
        /usr/sbin/ip link delete "$bridge"
        [ -x /usr/sbin/iptables ] && while forward_rule -C; do forward_rule -D || break; done
        """;

    private readonly string _tag;
    private readonly string _subnet;
    private readonly List<string> _created = [];
    private ServiceProcess? _watchdog;
    private bool _forwardRuleAdded;

    private ClusterNetwork(int nodes, string tag, string subnet)
    {
        _tag = tag;
        _subnet = subnet;
        Namespaces = Enumerable.Range(1, nodes).Select(i => $"streamtest-{tag}-{i}").ToArray();
        Addresses = Enumerable.Range(1, nodes).Select(i => $"{subnet}.{10 + i}").ToArray();
    }

    public IReadOnlyList<string> Namespaces { get; }

    public IReadOnlyList<string> Addresses { get; }

    private string Bridge => $"stbr{_tag}";

    private string HostSide(int node) => $"st{_tag}h{node + 1}";

    public static bool CanCreate => OperatingSystem.IsLinux() && File.Exists(Ip) && Environment.UserName == "root";

    public static async Task<ClusterNetwork> CreateAsync(int nodes, CancellationToken cancellationToken)
    {
        var network = new ClusterNetwork(nodes, RandomNumberGenerator.GetHexString(4, lowercase: true), await PickSubnetAsync(cancellationToken));
        try
        {
            network._watchdog = ServiceProcess.Start("/bin/sh",
                ["-c", WatchdogScript, "streamtest-cluster-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                 network.Bridge, .. network.Namespaces],
                name: "streamtest-cluster-watchdog");
            await network.BuildAsync(cancellationToken);
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>Cuts node <paramref name="node"/> (0-based) off from the other nodes and every client.</summary>
    public Task CutOffAsync(int node, CancellationToken cancellationToken) =>
        RunAsync(["netns", "exec", Namespaces[node], Ip, "link", "set", NodeInterface, "down"], cancellationToken);

    /// <summary>Connects node <paramref name="node"/> again.</summary>
    public Task ReconnectAsync(int node, CancellationToken cancellationToken) =>
        RunAsync(["netns", "exec", Namespaces[node], Ip, "link", "set", NodeInterface, "up"], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var ns in Namespaces.Where(_created.Contains))
        {
            await KillEverythingInAsync(ns);
        }
        foreach (var name in Enumerable.Reverse(_created))
        {
            var deleteNamespace = Namespaces.Contains(name);
            await TryRunAsync(deleteNamespace ? ["netns", "delete", name] : ["link", "delete", name]);
        }
        _created.Clear();
        if (_forwardRuleAdded)
        {
            await TryRunAsync(Iptables, ForwardRule("-D"));
            _forwardRuleAdded = false;
        }
        if (_watchdog is not null)
        {
            await _watchdog.DisposeAsync();
        }
    }

    private async Task BuildAsync(CancellationToken cancellationToken)
    {
        await RunAsync(["link", "add", Bridge, "type", "bridge"], cancellationToken);
        _created.Add(Bridge);
        await RunAsync(["address", "add", $"{_subnet}.1/24", "dev", Bridge], cancellationToken);
        await RunAsync(["link", "set", Bridge, "up"], cancellationToken);
        if (File.Exists(Iptables))
        {
            await RunAsync(Iptables, ForwardRule("-I"), cancellationToken);
            _forwardRuleAdded = true;
        }
        for (var node = 0; node < Namespaces.Count; node++)
        {
            var ns = Namespaces[node];
            await RunAsync(["netns", "add", ns], cancellationToken);
            _created.Add(ns);
            await RunAsync(["link", "add", HostSide(node), "type", "veth", "peer", "name", NodeInterface, "netns", ns], cancellationToken);
            await RunAsync(["link", "set", HostSide(node), "master", Bridge, "up"], cancellationToken);
            await RunAsync(["netns", "exec", ns, Ip, "address", "add", $"{Addresses[node]}/24", "dev", NodeInterface], cancellationToken);
            await RunAsync(["netns", "exec", ns, Ip, "link", "set", NodeInterface, "up"], cancellationToken);
            await RunAsync(["netns", "exec", ns, Ip, "link", "set", "lo", "up"], cancellationToken);
        }
    }

    /// <summary>The iptables arguments that insert (<c>-I</c>), check (<c>-C</c>) or delete (<c>-D</c>) the bridge's ACCEPT rule.</summary>
    private string[] ForwardRule(string operation) =>
        [operation, "FORWARD", "-i", Bridge, "-o", Bridge, "-m", "comment", "--comment", $"streamtest {Bridge}", "-j", "ACCEPT"];

    /// <summary>A 10.x.y.0/24 that no route or address of this machine uses yet (also the Khepri cluster's Docker network).</summary>
    internal static async Task<string> PickSubnetAsync(CancellationToken cancellationToken)
    {
        var routes = await RunAsync(["-4", "route", "show", "table", "all"], cancellationToken);
        var addresses = await RunAsync(["-4", "-o", "address", "show"], cancellationToken);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var subnet = string.Create(CultureInfo.InvariantCulture, $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(0, 256)}");
            if (!routes.Contains(subnet + ".", StringComparison.Ordinal) && !addresses.Contains(subnet + ".", StringComparison.Ordinal))
            {
                return subnet;
            }
        }
        throw new InvalidOperationException("no free 10.x.y.0/24 subnet for the cluster's network");
    }

    /// <summary>Kills what is left in a namespace: epmd, and a node whose own stop failed. They are all ours.</summary>
    private static async Task KillEverythingInAsync(string ns)
    {
        var pids = await TryRunAsync(["netns", "pids", ns]);
        foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                PosixSignals.Send(id, PosixSignals.Kill);
            }
        }
    }

    private static Task<string> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(Ip, arguments, cancellationToken);

    private static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        await using var process = ServiceProcess.Start(program, arguments, name: Path.GetFileName(program));
        var exitCode = await process.WaitForExitAsync(s_commandTimeout).WaitAsync(cancellationToken);
        return exitCode == 0
            ? process.StandardOutput
            : throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed.{Environment.NewLine}{process.Describe()}");
    }

    private static Task<string> TryRunAsync(IReadOnlyList<string> arguments) => TryRunAsync(Ip, arguments);

    private static async Task<string> TryRunAsync(string program, IReadOnlyList<string> arguments)
    {
        try
        {
            return await RunAsync(program, arguments, CancellationToken.None);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            return "";
        }
    }
}
