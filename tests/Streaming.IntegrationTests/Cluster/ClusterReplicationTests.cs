using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>The replication scenario on three private RabbitMQ 3.10.8 nodes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterReplicationTests(RabbitMqCluster cluster, ITestOutputHelper output) : ReplicationScenarios(cluster, output);
