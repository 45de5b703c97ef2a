namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// About how long a collection's tests take, as measured in CI (the sum of their durations, in seconds), for
/// <see cref="LongestFirstCollectionOrderer"/>. A collection without it counts as short.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class CollectionSecondsAttribute(int seconds) : Attribute
{
    public int Seconds { get; } = seconds;
}
