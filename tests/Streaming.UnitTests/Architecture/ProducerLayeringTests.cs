using Streaming.Producer;

namespace Streaming.UnitTests.Architecture;

/// <summary>The Producer reads in one direction: CLI and Watching use Job, Job uses its adapters, the adapters use
/// Streaming.Messaging; no namespace of the Producer uses one that uses it back, directly or around a loop.</summary>
public sealed class ProducerLayeringTests
{
    [Fact]
    public void ProducerNamespaces_CompiledReferences_FormNoCycle()
    {
        var graph = NamespaceReferences.Of(typeof(ProducerOptions).Assembly, "Streaming.Producer");

        var cycles = NamespaceReferences.Cycles(graph);

        Assert.True(cycles.Count == 0, "namespaces that use each other: " + string.Join(
            "; ", cycles.Select(c => string.Join(", ", c.Select(n => $"{n} -> [{string.Join(", ", graph[n].Where(c.Contains).Order(StringComparer.Ordinal))}]")))));
    }

    [Fact]
    public void Cycles_TwoNamespacesThatUseEachOther_AreFound()
    {
        var graph = new Dictionary<string, HashSet<string>>
        {
            ["A"] = ["B"],
            ["B"] = ["C"],
            ["C"] = ["A"],
            ["D"] = ["A"],
        };

        Assert.Equal([["A", "B", "C"]], NamespaceReferences.Cycles(graph));
    }

    [Fact]
    public void Of_ThisTestAssembly_SeesAReferenceMadeOnlyInsideAMethodBody()
    {
        Assert.Equal(1, Probes.UsedInABodyOnly.Value());

        var graph = NamespaceReferences.Of(typeof(ProducerLayeringTests).Assembly, "Streaming.UnitTests.Architecture");

        Assert.Contains("Streaming.UnitTests.Architecture.Probes", graph["Streaming.UnitTests.Architecture"]);
    }
}
