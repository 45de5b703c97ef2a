using System.Reflection;
using Streaming.Consumer;
using Streaming.Messaging.Topology;
using Streaming.Producer;

namespace Streaming.UnitTests.Architecture;

/// <summary>The unit tests mirror <c>src/</c>: a test of <c>Streaming.Producer.Job.Core</c> lives in
/// <c>Producer/Job/Core/</c> (namespace <c>Streaming.UnitTests.Producer.Job.Core</c>), one of the messaging library in
/// <c>Messaging/…</c>, one of the consumer library (<c>Streaming.Consumer.*</c>) in <c>Processing/…</c>; a newcomer
/// finds the tests of a type by its path.</summary>
public sealed class TestLayoutTests
{
    private static readonly (string TestPrefix, Assembly Source, string SourcePrefix)[] s_mirrors =
    [
        ("Streaming.UnitTests.Producer", typeof(ProducerOptions).Assembly, "Streaming.Producer"),
        ("Streaming.UnitTests.Messaging", typeof(QueueNames).Assembly, "Streaming.Messaging"),
        ("Streaming.UnitTests.Processing", typeof(ConsumerApp).Assembly, "Streaming.Consumer"),
    ];

    [Fact]
    public void EveryTestNamespace_MirrorsANamespaceOfTheSource()
    {
        var strays = TestNamespaces()
            .Where(ns => ns != "Streaming.UnitTests.Architecture" && !ns.StartsWith("Streaming.UnitTests.Architecture.", StringComparison.Ordinal))
            .Where(ns => MirroredSource(ns) is not { } source || !NamespacesOf(source.Assembly).Contains(source.Namespace))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(strays.Count == 0, "test namespaces (folders) with no source namespace of the same path: " + string.Join(", ", strays));
    }

    [Fact]
    public void MirroredSource_ANamespaceTheSourceDoesNotHave_IsNotFound()
    {
        var source = MirroredSource("Streaming.UnitTests.Producer.Jobs");

        Assert.NotNull(source);
        Assert.DoesNotContain(source.Value.Namespace, NamespacesOf(source.Value.Assembly));
        Assert.Null(MirroredSource("Streaming.UnitTests.Collecting"));
    }

    private static (Assembly Assembly, string Namespace)? MirroredSource(string testNamespace)
    {
        foreach (var (testPrefix, source, sourcePrefix) in s_mirrors)
        {
            if (testNamespace == testPrefix || testNamespace.StartsWith(testPrefix + ".", StringComparison.Ordinal))
            {
                return (source, sourcePrefix + testNamespace[testPrefix.Length..]);
            }
        }
        return null;
    }

    private static HashSet<string> TestNamespaces() => NamespacesOf(typeof(TestLayoutTests).Assembly)
        .Where(ns => ns.StartsWith("Streaming.UnitTests", StringComparison.Ordinal))
        .ToHashSet(StringComparer.Ordinal);

    private static HashSet<string> NamespacesOf(Assembly assembly) => assembly.GetTypes()
        .Where(t => t.Namespace is not null && !t.Name.StartsWith('<'))
        .Select(t => t.Namespace!)
        .ToHashSet(StringComparer.Ordinal);
}
