namespace Streaming.IntegrationTests.Cluster.Khepri;

/// <summary>The cluster scenarios on one <see cref="KhepriCluster"/>, one after another (CI runs this collection in a
/// stream of its own, beside the JIT stage: <c>.ci/run</c>).</summary>
[CollectionDefinition(Name)]
public sealed class KhepriClusterCollection : ICollectionFixture<KhepriCluster>
{
    public const string Name = "khepri cluster";
}
