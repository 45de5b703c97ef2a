using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Faults;

/// <summary>The chaos run starts its own broker node: it runs beside the other collections.</summary>
[CollectionSeconds(61)]
[CollectionDefinition(Name)]
public sealed class ChaosRunCollection
{
    public const string Name = "chaos-run";
}
