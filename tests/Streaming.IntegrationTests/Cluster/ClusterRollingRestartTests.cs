using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>The rolling restart on three private RabbitMQ 3.10.8 nodes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterRollingRestartTests(RabbitMqCluster cluster, ITestOutputHelper output) : RollingRestartScenarios(cluster, output);
