using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>Every cluster test, one after another on one <see cref="RabbitMqCluster"/> (in parallel with the other collections).</summary>
[CollectionSeconds(530)]
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<RabbitMqCluster>
{
    public const string Name = "cluster";
}
