namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// A second queue of tests on the shared broker (each test in a vhost of its own), beside <see cref="BrokerCollection"/>:
/// one collection runs its tests one after another, and the shared broker's tests took longer in one than the whole CI
/// stage allows. The long scenarios of exec:, queue loss, network faults, interrupts and standard input are here.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrokerSecondCollection : ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "broker-second";
}
