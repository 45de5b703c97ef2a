using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster.Khepri;

/// <summary>The replication scenario on three RabbitMQ 4 containers with Khepri as the metadata store.</summary>
[Collection(KhepriClusterCollection.Name)]
public sealed class KhepriReplicationTests(KhepriCluster cluster, ITestOutputHelper output) : ReplicationScenarios(cluster, output);
