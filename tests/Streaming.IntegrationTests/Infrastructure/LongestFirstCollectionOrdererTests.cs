using Streaming.IntegrationTests.Cluster;
using Streaming.IntegrationTests.Exec;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Streaming.IntegrationTests.Infrastructure;

public sealed class LongestFirstCollectionOrdererTests
{
    private static readonly TestAssembly s_assembly = new(Reflector.Wrap(typeof(ClusterCollection).Assembly));

    [Fact]
    public void OrderTestCollections_MeasuredLongestFirst_UnmeasuredAfterThemByName()
    {
        ITestCollection[] collections =
        [
            Collection(null, "Test collection for B"),
            Collection(typeof(ExecCollection), ExecCollection.Name),
            Collection(null, "Test collection for A"),
            Collection(typeof(ClusterCollection), ClusterCollection.Name),
        ];

        var ordered = new LongestFirstCollectionOrderer().OrderTestCollections(collections).Select(c => c.DisplayName);

        Assert.Equal([ClusterCollection.Name, ExecCollection.Name, "Test collection for A", "Test collection for B"], ordered);
    }

    [Fact]
    public void SecondsOf_ReadsTheDefinitionsAttribute()
    {
        Assert.True(LongestFirstCollectionOrderer.SecondsOf(Collection(typeof(ClusterCollection), ClusterCollection.Name)) > 60);
        Assert.Equal(0, LongestFirstCollectionOrderer.SecondsOf(Collection(typeof(BrokerRestartCollection), BrokerRestartCollection.Name)));
    }

    private static TestCollection Collection(Type? definition, string name) =>
        new(s_assembly, definition is null ? null : Reflector.Wrap(definition), name);
}
