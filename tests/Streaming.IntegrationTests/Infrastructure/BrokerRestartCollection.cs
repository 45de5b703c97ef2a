namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that stop, restart or block the broker: they run alone (no other collection in parallel), on the same
/// shared broker, and must leave it running.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrokerRestartCollection : ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "broker-restart";
}
