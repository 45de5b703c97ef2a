using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster.Khepri;

/// <summary>The rolling restart on three RabbitMQ 4 containers with Khepri as the metadata store.</summary>
[Collection(KhepriClusterCollection.Name)]
public sealed class KhepriRollingRestartTests(KhepriCluster cluster, ITestOutputHelper output) : RollingRestartScenarios(cluster, output);
