using System.Reflection;

namespace Streaming.UnitTests.Architecture;

/// <summary>
/// Which types of an assembly move or delete files or folders: <c>File.Move</c>/<c>Delete</c>,
/// <c>Directory.Move</c>/<c>Delete</c>, and <c>MoveTo</c>/<c>Delete</c> of <see cref="FileInfo"/> and
/// <see cref="DirectoryInfo"/>. Read from the compiled assembly's method bodies (<see cref="NamespaceReferences"/>); a
/// call in a lambda, a local function or an async method counts for the type that declares it.
/// </summary>
internal static class FileMoves
{
    private static readonly Type[] s_fileSystem = [typeof(File), typeof(Directory), typeof(FileSystemInfo), typeof(FileInfo), typeof(DirectoryInfo)];

    private static readonly string[] s_moves = ["Move", "MoveTo", "Delete"];

    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Each type of <paramref name="assembly"/> under namespace <paramref name="root"/> that moves or deletes,
    /// with what it calls (<c>File.Delete</c>, ...).</summary>
    public static SortedDictionary<string, SortedSet<string>> CallersUnder(Assembly assembly, string root)
    {
        var callers = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes().Where(t => t.Namespace is { } ns && NamespaceReferences.Under(ns, root)))
        {
            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                foreach (var called in NamespaceReferences.MembersNamedBy(method).OfType<MethodBase>().Where(IsMoveOrDelete))
                {
                    var owner = Declaring(type);
                    var calls = callers.TryGetValue(owner, out var set) ? set : callers[owner] = new SortedSet<string>(StringComparer.Ordinal);
                    calls.Add($"{called.DeclaringType!.Name}.{called.Name}");
                }
            }
        }
        return callers;
    }

    private static bool IsMoveOrDelete(MethodBase method) =>
        s_fileSystem.Contains(method.DeclaringType) && s_moves.Contains(method.Name);

    /// <summary>A compiler-made type (a lambda's closure, an async state machine) stands for the type that declares it.</summary>
    private static string Declaring(Type type)
    {
        while (type.DeclaringType is { } outer && type.Name.Contains('<', StringComparison.Ordinal))
        {
            type = outer;
        }
        return type.FullName ?? type.Name;
    }
}
