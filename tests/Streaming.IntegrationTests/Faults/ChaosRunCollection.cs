namespace Streaming.IntegrationTests.Faults;

/// <summary>The chaos run starts its own broker node: it runs beside the other collections.</summary>
[CollectionDefinition(Name)]
public sealed class ChaosRunCollection
{
    public const string Name = "chaos-run";
}
