using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Streaming.IntegrationTests.Infrastructure.LongestFirstCollectionOrderer", "Streaming.IntegrationTests")]

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// Starts the longest collections first. xunit runs three collections at a time and takes the next one in this order
/// when a thread frees up; its default order is a hash of each collection's id, which in ci35c started the shared
/// broker's 12.5-minute collection 4.5 minutes in and left the stage ending on short ones (23.2 min; longest first
/// gives about 19 min for the same durations).
/// </summary>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    /// <summary>Collection names, longest first (seconds of test time in ci35c's TRX, on a loaded 2-core machine).</summary>
    internal static readonly string[] LongestFirst =
    [
        BrokerCollection.Name, // 750
        Cluster.ClusterCollection.Name, // 553
        BrokerSecondCollection.Name, // 452
        FaultBrokerCollection.Name, // 405
        Compression.CompressionCollection.Name, // 316
        Watching.WatchCollection.Name, // 273
        Python.PythonPoolCollection.Name, // 240
        Exec.ExecCollection.Name, // 138
        BrokerRestartCollection.Name, // 75
        Faults.ChaosRunCollection.Name, // 63
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .OrderBy(collection => Rank(collection.DisplayName))
            .ThenBy(collection => collection.DisplayName, StringComparer.Ordinal);

    private static int Rank(string displayName)
    {
        var index = Array.IndexOf(LongestFirst, displayName);
        return index < 0 ? LongestFirst.Length : index;
    }
}
