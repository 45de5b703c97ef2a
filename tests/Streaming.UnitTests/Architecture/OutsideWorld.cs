using System.Reflection;

namespace Streaming.UnitTests.Architecture;

/// <summary>
/// What a pure core must not reach: the broker (RabbitMQ.Client), files (System.IO but for <see cref="Path"/>'s string
/// work and the exceptions), the console, and telemetry (activities, meters, OpenTelemetry, the services' telemetry
/// namespaces). Read from the compiled assembly, as <see cref="NamespaceReferences"/> reads it.
/// </summary>
internal static class OutsideWorld
{
    /// <summary>Each use of the outside world by a type of <paramref name="core"/> (or of a namespace under it): named by
    /// the type itself, or by a type of the same assembly outside the core that the type names (a core cannot reach out
    /// through a helper either). Sorted, one line per use.</summary>
    public static List<string> ReachedFrom(Assembly assembly, string core)
    {
        var uses = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes().Where(t => t.Namespace is { } ns && NamespaceReferences.Under(ns, core)))
        {
            foreach (var used in NamespaceReferences.TypesUsedBy(type).Distinct())
            {
                if (What(used) is { } what)
                {
                    uses.Add($"{Name(type)} uses {used.FullName} ({what})");
                }
                else if (used.Assembly == assembly && used.Namespace is { } ns && !NamespaceReferences.Under(ns, core))
                {
                    foreach (var (through, reached, why) in DirectUses(used))
                    {
                        uses.Add($"{Name(type)} uses {through.FullName}, which uses {reached.FullName} ({why})");
                    }
                }
            }
        }
        return [.. uses];
    }

    /// <summary>Why <paramref name="type"/> is outside the core's reach, or null when the core may name it.</summary>
    public static string? What(Type type)
    {
        var ns = type.Namespace ?? "";
        if (Within(ns, "RabbitMQ.Client"))
        {
            return "the broker";
        }
        if (type == typeof(Console))
        {
            return "the console";
        }
        if ((Within(ns, "System.IO") && type != typeof(Path) && !typeof(Exception).IsAssignableFrom(type))
            || type == typeof(Microsoft.Win32.SafeHandles.SafeFileHandle))
        {
            return "files";
        }
        if (Within(ns, "System.Diagnostics.Metrics") || Within(ns, "OpenTelemetry") || ns.EndsWith(".Telemetry", StringComparison.Ordinal)
            || (ns == "System.Diagnostics" && type.Name.StartsWith("Activity", StringComparison.Ordinal)))
        {
            return "telemetry";
        }
        return null;
    }

    /// <summary>The outside world <paramref name="type"/> (with its nested types: lambdas, async state machines) names itself.</summary>
    private static IEnumerable<(Type Through, Type Reached, string Why)> DirectUses(Type type)
    {
        var root = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        foreach (var part in WithNested(root))
        {
            foreach (var used in NamespaceReferences.TypesUsedBy(part).Distinct())
            {
                if (What(used) is { } why)
                {
                    yield return (root, used, why);
                }
            }
        }
    }

    private static IEnumerable<Type> WithNested(Type type) =>
        new[] { type }.Concat(type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(WithNested));

    private static bool Within(string ns, string root) => ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal);

    /// <summary>A compiler-made type (a lambda's closure, an async state machine) is named after the type that declares it.</summary>
    private static string Name(Type type)
    {
        while (type.DeclaringType is { } outer && type.Name.Contains('<', StringComparison.Ordinal))
        {
            type = outer;
        }
        return type.FullName ?? type.Name;
    }
}
