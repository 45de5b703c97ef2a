using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster.Khepri;

/// <summary>The node-loss scenarios on three RabbitMQ 4 containers with Khepri as the metadata store.</summary>
[Collection(KhepriClusterCollection.Name)]
public sealed class KhepriNodeLossTests(KhepriCluster cluster, ITestOutputHelper output) : NodeLossScenarios(cluster, output);
