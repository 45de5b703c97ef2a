using System.Reflection;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// Finds the built service assemblies (<c>Producer.dll</c>, <c>Consumer.dll</c>): in their own build folders first,
/// <c>src/&lt;Name&gt;/bin/&lt;Configuration&gt;/&lt;tfm&gt;/</c> (the configuration this test assembly was built with),
/// where each sits beside its own appsettings.json; next to the test assembly only outside a repository (this project
/// references both services, so its folder holds one of their two appsettings.json files).
/// </summary>
public static class ServiceBinaries
{
    public const string Producer = "Producer";
    public const string Consumer = "Consumer";

    /// <summary>Debug or Release: the configuration this test assembly was built with.</summary>
    public static string Configuration { get; } =
        typeof(ServiceBinaries).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The target framework folder name (e.g. <c>net10.0</c>) the test assembly runs from.</summary>
    public static string TargetFramework { get; } = ResolveTargetFramework();

    /// <summary>The <c>dotnet</c> host that runs this test process, so services run on the same runtime.</summary>
    public static string DotnetHost { get; } = ResolveDotnetHost();

    /// <summary>
    /// Set to the output of <c>scripts/publish-native.sh</c> to run the suite against the Native AOT executables
    /// (<c>&lt;dir&gt;/Producer/Producer</c>, <c>&lt;dir&gt;/Consumer/Consumer</c>) instead of <c>dotnet &lt;name&gt;.dll</c>.
    /// </summary>
    public const string NativeDirectoryVariable = "STREAMING_NATIVE_DIR";

    /// <summary>How to start <paramref name="assemblyName"/> under another program (strace, a shell): the Native AOT
    /// executable alone, or the <c>dotnet</c> host followed by the assembly.</summary>
    public static (string Executable, string[] Arguments) Command(string assemblyName) =>
        LocateNative(assemblyName) is { } native ? (native, []) : (DotnetHost, [Locate(assemblyName)]);

    /// <summary>The Native AOT executable of <paramref name="assemblyName"/> when <see cref="NativeDirectoryVariable"/>
    /// is set and names a folder; null otherwise. Throws when the folder lacks the executable, rather than testing the
    /// other build silently.</summary>
    public static string? LocateNative(string assemblyName)
    {
        var directory = Environment.GetEnvironmentVariable(NativeDirectoryVariable);
        if (string.IsNullOrEmpty(directory) || assemblyName is not (Producer or Consumer))
        {
            return null;
        }
        var executable = Path.GetFullPath(Path.Combine(directory, assemblyName, assemblyName));
        return File.Exists(executable)
            ? executable
            : throw new FileNotFoundException(
                $"{NativeDirectoryVariable} is set but {executable} does not exist; run scripts/publish-native.sh {directory}", executable);
    }

    /// <summary>The full path of <c>&lt;assemblyName&gt;.dll</c>; throws with the searched paths when it is not built.</summary>
    public static string Locate(string assemblyName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(assemblyName);
        var candidates = Candidates(assemblyName).ToList();
        foreach (var candidate in candidates)
        {
            // An exe's dll is only runnable with `dotnet x.dll` when its runtimeconfig.json sits beside it.
            if (File.Exists(candidate) && File.Exists(Path.ChangeExtension(candidate, ".runtimeconfig.json")))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException(
            $"{assemblyName}.dll (with its runtimeconfig.json) was not found; build it first " +
            $"(dotnet build -c {Configuration}). Looked in:{Environment.NewLine}  " +
            string.Join(Environment.NewLine + "  ", candidates),
            assemblyName + ".dll");
    }

    /// <summary>The folder holding <c>Streaming.sln</c> above the test assembly, or null when there is none.</summary>
    public static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Streaming.sln")))
            {
                return dir.FullName;
            }
        }
        return null;
    }

    private static IEnumerable<string> Candidates(string assemblyName)
    {
        var root = FindRepositoryRoot();
        if (root is not null)
        {
            yield return Path.Combine(root, "src", assemblyName, "bin", Configuration, TargetFramework, assemblyName + ".dll");
            yield return Path.Combine(root, "tests", assemblyName, "bin", Configuration, TargetFramework, assemblyName + ".dll");
        }
        yield return Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll");
    }

    private static string ResolveTargetFramework()
    {
        var name = new DirectoryInfo(AppContext.BaseDirectory).Name;
        return name.StartsWith("net", StringComparison.Ordinal) ? name : "net10.0";
    }

    private static string ResolveDotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
