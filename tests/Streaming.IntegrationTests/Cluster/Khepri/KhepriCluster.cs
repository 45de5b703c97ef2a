using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Streaming.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Streaming.IntegrationTests.Cluster.Khepri;

/// <summary>
/// Three RabbitMQ 4 containers (<see cref="KhepriNode"/>, the image of <c>STREAMING_TEST_RABBITMQ_IMAGE</c>: CI's
/// 4.0.5 stand-in) on a Docker network of their own, joined as one cluster (<c>join_cluster</c>) and then moved to
/// Khepri, the Raft-based metadata store (<c>enable_feature_flag --opt-in khepri_db</c>: 4.0 and 4.1 ask for the
/// opt-in, 4.2+ start new clusters on it). The tests reach each node at its address on that network, as they reach
/// the namespaced nodes of <see cref="RabbitMqCluster"/>, and ask it through its own CLI (<c>docker exec</c>).
/// </summary>
/// <remarks>
/// No partitions here: cutting a container off its network (<c>docker network disconnect</c>) also takes its address
/// away from the tests' processes, which then see a reset rather than a silent peer, and Khepri's Raft majority, not
/// <c>pause_minority</c>, decides who carries on: a scenario of its own, left to the 3.10.8 cluster for now. Every
/// container and the network carry the label <c>org.streaming.test=cluster</c> (CI removes what a dead test host
/// left), and a watchdog shell removes them if this process dies first.
/// </remarks>
public sealed class KhepriCluster(IMessageSink diagnostics) : IAsyncLifetime, ITestCluster
{
    private static readonly TimeSpan s_rejoinTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(500);

    // $1 = pid to watch, $2 = network, $3... = containers. Writes nothing (its pipes die with us).
    private const string WatchdogScript = """
        exec >/dev/null 2>&1 </dev/null
        watched=$1; network=$2; shift 2
        while kill -0 "$watched" 2>/dev/null; do sleep 1; done
        docker rm -f -v "$@"
        docker network rm "$network"
        """;

    private readonly string _tag = RandomNumberGenerator.GetHexString(4, lowercase: true);
    private KhepriNode[] _nodes = [];
    private string? _network;
    private ServiceProcess? _watchdog;

    public bool CanControl => true;

    public IReadOnlyList<string> NodeNames => _nodes.Select(n => n.NodeName).ToArray();

    public IReadOnlyList<string> Addresses => _nodes.Select(n => n.Address).ToArray();

    public async Task InitializeAsync()
    {
        if (!await DockerEngineProbe.AnswersAsync(TimeSpan.FromSeconds(5)))
        {
            throw new InvalidOperationException(
                "the Khepri cluster tests need a Docker engine (scripts/docker-engine.sh start) and a RabbitMQ 4 image " +
                $"({ContainerRabbitMqBroker.ImageVariable}, e.g. the stand-in from scripts/build-standin-images.sh)");
        }
        var configured = Environment.GetEnvironmentVariable(ContainerRabbitMqBroker.ImageVariable);
        var image = string.IsNullOrWhiteSpace(configured) ? ContainerRabbitMqBroker.DefaultImage : configured.Trim();
        var started = Stopwatch.GetTimestamp();
        var subnet = await ClusterNetwork.PickSubnetAsync(CancellationToken.None);
        var cookie = PrivateRabbitMqNode.NewErlangCookie();
        _network = $"streamtest-rmq4-{_tag}";
        _nodes = Enumerable.Range(1, ITestCluster.Size)
            .Select(i => new KhepriNode($"{_network}-{i}", _network, string.Create(CultureInfo.InvariantCulture, $"{subnet}.{10 + i}"), image, cookie))
            .ToArray();
        _watchdog = ServiceProcess.Start("/bin/sh",
            ["-c", WatchdogScript, "streamtest-khepri-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), _network, .. _nodes.Select(n => n.Name)],
            name: "streamtest-khepri-watchdog");
        await DockerCli.RunAsync(["network", "create", "--label", KhepriNode.TestLabel, "--subnet", subnet + ".0/24", _network]);
        await Task.WhenAll(_nodes.Select(n => n.CreateAsync()));
        var booted = Stopwatch.GetElapsedTime(started);
        for (var i = 1; i < ITestCluster.Size; i++)
        {
            await CtlAsync(i, "stop_app");
            await CtlAsync(i, "join_cluster", NodeNames[0]);
            await CtlAsync(i, "start_app");
        }
        await WaitUntilWholeAsync();
        await CtlAsync(0, "enable_feature_flag", "--opt-in", "khepri_db");
        for (var i = 0; i < ITestCluster.Size; i++)
        {
            var state = await KhepriStateAsync(i);
            if (state != "enabled")
            {
                throw new InvalidOperationException($"khepri_db is '{state}' on {NodeNames[i]}, not enabled");
            }
        }
        var version = (await CtlAsync(0, "-q", "version")).Trim();
        diagnostics.OnMessage(new DiagnosticMessage(
            $"khepri cluster: RabbitMQ {version} ({image}), {string.Join(", ", NodeNames)} at {string.Join(", ", Addresses)}, khepri_db enabled; " +
            $"containers ready in {booted.TotalSeconds:0.0} s, clustered on Khepri in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s"));
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.RemoveAsync();
        }
        if (_network is not null)
        {
            await DockerCli.TryRunAsync(["network", "rm", _network]);
        }
        if (_watchdog is not null)
        {
            await _watchdog.DisposeAsync();
        }
    }

    public bool IsRunning(int node) => _nodes[node].IsRunning;

    public Uri NodeUri(int node) => new($"amqp://guest:guest@{_nodes[node].Address}:{NodePlacement.AmqpPort}/");

    public async Task<string> CreateVhostAsync()
    {
        var vhost = $"test-{Guid.NewGuid():N}";
        var node = AnyRunningNode();
        await CtlAsync(node, "-q", "add_vhost", vhost);
        await CtlAsync(node, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
        return AmqpUris.WithVhost(NodeUri(node), vhost).ToString();
    }

    /// <summary>rabbitmqctl on a running node; <c>list_queues</c> asked of every running node with <c>--local</c> and
    /// the rows joined (as <see cref="RabbitMqCluster.RabbitMqCtlAsync"/>: a node that is down leaves no gap).</summary>
    public async Task<string> RabbitMqCtlAsync(params string[] args)
    {
        if (args is not ["list_queues", ..])
        {
            return await CtlAsync(AnyRunningNode(), args);
        }
        var rows = new StringBuilder();
        for (var i = 0; i < ITestCluster.Size; i++)
        {
            if (_nodes[i].IsRunning)
            {
                rows.Append(await CtlAsync(i, [.. args, "--local"]));
            }
        }
        return rows.ToString();
    }

    public Task<string> CtlAsync(int node, params string[] args) => _nodes[node].CtlAsync(args);

    public async Task<QuorumStatus> QuorumStatusAsync(string vhost, string queue, int? askedNode = null)
    {
        var json = await _nodes[askedNode ?? AnyRunningNode()].QueuesAsync(
            ["quorum_status", "--vhost", vhost, queue, "--formatter", "json", "--silent"]);
        return QuorumStatus.Parse(json, NodeNames);
    }

    public Task KillAsync(int node) => _nodes[node].KillAsync();

    public Task StopAsync(int node) => _nodes[node].StopAsync();

    public async Task StartAsync(int node)
    {
        await _nodes[node].StartAsync();
        await WaitUntilWholeAsync();
    }

    public async Task HealAllAsync()
    {
        foreach (var node in _nodes.Where(n => !n.IsRunning))
        {
            await node.StartAsync();
        }
        await WaitUntilWholeAsync();
    }

    private async Task<string> KhepriStateAsync(int node)
    {
        var flags = await CtlAsync(node, "-q", "list_feature_flags", "name", "state", "--no-table-headers");
        return flags.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(row => row.Split('\t', StringSplitOptions.TrimEntries))
            .FirstOrDefault(fields => fields is ["khepri_db", _])?[1] ?? "missing";
    }

    /// <summary>Waits until every running node lists all three nodes as running.</summary>
    private async Task WaitUntilWholeAsync()
    {
        using var deadline = new CancellationTokenSource(s_rejoinTimeout);
        var last = "";
        while (true)
        {
            try
            {
                HashSet<string>? running = null;
                for (var i = 0; i < ITestCluster.Size; i++)
                {
                    if (_nodes[i].IsRunning)
                    {
                        using var status = JsonDocument.Parse(await CtlAsync(i, "cluster_status", "--formatter", "json", "--silent"));
                        var seen = status.RootElement.GetProperty("running_nodes").EnumerateArray().Select(n => n.GetString()!).ToHashSet();
                        running = running is null ? seen : running.Intersect(seen).ToHashSet();
                    }
                }
                if (running?.Count == ITestCluster.Size)
                {
                    return;
                }
                last = "running: " + string.Join(", ", running ?? []);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or JsonException)
            {
                last = ex.Message;
            }
            try
            {
                await Task.Delay(s_pollInterval, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the Khepri cluster did not have all {ITestCluster.Size} nodes running within {s_rejoinTimeout.TotalSeconds:0} s; {last}");
            }
        }
    }

    private int AnyRunningNode()
    {
        for (var i = 0; i < ITestCluster.Size; i++)
        {
            if (_nodes[i].IsRunning)
            {
                return i;
            }
        }
        throw new InvalidOperationException("no node of the Khepri cluster is running");
    }
}
