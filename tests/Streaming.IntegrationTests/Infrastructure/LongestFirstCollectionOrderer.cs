using Xunit.Abstractions;

[assembly: TestCollectionOrderer(
    "Streaming.IntegrationTests.Infrastructure.LongestFirstCollectionOrderer", "Streaming.IntegrationTests")]

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// Starts the longest collections first. xunit 2's conservative algorithm runs <c>maxParallelThreads</c> collections at
/// a time, each to its end, in the orderer's order; in its default order (by a hash of the collection's id) the cluster
/// collection, about 9 minutes of tests, started 15 minutes into ci38b's JIT stage and ran alone for its last 4, while
/// everything else had finished. Longest first, the short ones fill in at the end.
/// </summary>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .OrderByDescending(SecondsOf)
            .ThenBy(collection => collection.DisplayName, StringComparer.Ordinal);

    /// <summary>The collection's <see cref="CollectionSecondsAttribute"/>, or 0.</summary>
    public static int SecondsOf(ITestCollection collection) =>
        collection.CollectionDefinition?.GetCustomAttributes(typeof(CollectionSecondsAttribute)).FirstOrDefault() is { } attribute
            ? attribute.GetConstructorArguments().OfType<int>().Single()
            : 0;
}
