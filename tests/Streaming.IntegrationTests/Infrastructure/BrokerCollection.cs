namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>Tests that need the broker: <c>[Collection(BrokerCollection.Name)]</c> and a <see cref="RabbitMqBroker"/> constructor parameter.</summary>
[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "broker";
}
