namespace Streaming.IntegrationTests.Cluster;

/// <summary>Every cluster test, one after another on one <see cref="RabbitMqCluster"/> (in parallel with the other collections).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<RabbitMqCluster>
{
    public const string Name = "cluster";
}
