namespace Streaming.IntegrationTests.Infrastructure;

public sealed class LongestFirstCollectionOrdererTests
{
    [Fact]
    public void EveryNameItOrdersIsACollectionOfThisAssembly()
    {
        var defined = typeof(LongestFirstCollectionOrderer).Assembly.GetTypes()
            .SelectMany(type => type.CustomAttributes)
            .Where(attribute => attribute.AttributeType == typeof(CollectionDefinitionAttribute))
            .Select(attribute => attribute.ConstructorArguments.Single().Value as string)
            .ToHashSet(StringComparer.Ordinal);

        foreach (var name in LongestFirstCollectionOrderer.LongestFirst)
        {
            Assert.Contains(name, defined);
        }
    }
}
