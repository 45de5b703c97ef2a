namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>Tests on the <see cref="FaultBroker"/>: one after another, in parallel with the shared-broker collections.</summary>
[CollectionDefinition(Name)]
public sealed class FaultBrokerCollection : ICollectionFixture<FaultBroker>
{
    public const string Name = "fault-broker";
}
