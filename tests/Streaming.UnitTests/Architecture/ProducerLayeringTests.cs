using Streaming.Producer;

namespace Streaming.UnitTests.Architecture;

/// <summary>The Producer reads in one direction: CLI and Watching use Job, Job uses its adapters, the adapters use
/// Streaming.Messaging; no namespace of the Producer uses one that uses it back, directly or around a loop. The job's
/// core (<c>Job.Core</c>) reaches no broker, file, console or telemetry, by itself or through a helper.</summary>
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
    public void JobCore_CompiledReferences_ReachNoBrokerFileConsoleOrTelemetry()
    {
        var uses = OutsideWorld.ReachedFrom(typeof(ProducerOptions).Assembly, "Streaming.Producer.Job.Core");

        Assert.True(uses.Count == 0, "the core reaches out: " + string.Join("; ", uses));
    }

    [Fact]
    public void ReachedFrom_ProbeThatReachesOut_FindsTheBrokerFilesConsoleAndTelemetry()
    {
        Assert.InRange(Probes.ReachesOut.Count(), 0, 3);

        var uses = OutsideWorld.ReachedFrom(typeof(ProducerLayeringTests).Assembly, "Streaming.UnitTests.Architecture.Probes");

        Assert.Contains(uses, u => u.EndsWith("(the broker)", StringComparison.Ordinal));
        Assert.Contains(uses, u => u.Contains("System.IO.File ", StringComparison.Ordinal));
        Assert.Contains(uses, u => u.EndsWith("(the console)", StringComparison.Ordinal));
        Assert.Contains(uses, u => u.EndsWith("(telemetry)", StringComparison.Ordinal));
        Assert.Contains(uses, u => u.Contains("which uses", StringComparison.Ordinal));
        Assert.DoesNotContain(uses, u => u.StartsWith(typeof(Probes.UsedInABodyOnly).FullName + " ", StringComparison.Ordinal));
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
