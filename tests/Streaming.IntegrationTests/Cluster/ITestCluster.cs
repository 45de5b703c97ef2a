using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>
/// A three-node RabbitMQ cluster the scenarios (<see cref="NodeLossScenarios"/>, <see cref="RollingRestartScenarios"/>,
/// <see cref="ReplicationScenarios"/>) run on: private 3.10.8 nodes in network namespaces (<see cref="RabbitMqCluster"/>)
/// or RabbitMQ 4 containers with Khepri (<see cref="Khepri.KhepriCluster"/>). The queries every kind answers the
/// same way are in <see cref="ClusterQueries"/>.
/// </summary>
/// <remarks>Every test must leave the cluster whole: three running nodes (<see cref="HealAllAsync"/>).</remarks>
public interface ITestCluster : ITestBroker
{
    const int Size = 3;

    /// <summary>Each node's Erlang node name, by index, as <c>quorum_status</c> names the members.</summary>
    IReadOnlyList<string> NodeNames { get; }

    /// <summary>The address each node's AMQP listener (port 5672) has from this machine, by index.</summary>
    IReadOnlyList<string> Addresses { get; }

    /// <summary>Whether node <paramref name="node"/> runs (this fixture's view: it stopped or killed it).</summary>
    bool IsRunning(int node);

    /// <summary>Node <paramref name="node"/>'s own AMQP URI (default vhost).</summary>
    Uri NodeUri(int node);

    /// <summary>The members of quorum queue <paramref name="queue"/> and which one leads, asked of node
    /// <paramref name="askedNode"/> (any running node by default).</summary>
    Task<QuorumStatus> QuorumStatusAsync(string vhost, string queue, int? askedNode = null);

    /// <summary>SIGKILL of node <paramref name="node"/>'s Erlang VM.</summary>
    Task KillAsync(int node);

    /// <summary>A graceful stop of node <paramref name="node"/>, keeping its data and membership.</summary>
    Task StopAsync(int node);

    /// <summary>Starts a stopped or killed node again and waits until the cluster has all its nodes running.</summary>
    Task StartAsync(int node);

    /// <summary>For the end of a test, whatever it did: every node running, the cluster whole.</summary>
    Task HealAllAsync();
}
