using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>The node-loss scenarios on three private RabbitMQ 3.10.8 nodes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterNodeLossTests(RabbitMqCluster cluster, ITestOutputHelper output) : NodeLossScenarios(cluster, output);
