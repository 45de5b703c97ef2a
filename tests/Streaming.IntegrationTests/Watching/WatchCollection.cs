using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Watching;

/// <summary>
/// Watch-mode tests: the same shared broker, but their own collection, so they run beside the pipeline tests
/// (they mostly wait on quiet periods and slow processors) instead of after them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class WatchCollection : ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "watch";
}
