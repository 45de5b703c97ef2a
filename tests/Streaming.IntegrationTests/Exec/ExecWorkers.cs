using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Exec;

/// <summary>The test worker script (<c>exec_test_worker.py</c>, through the Python SDK) and the workers a consumer runs.</summary>
internal static class ExecWorkers
{
    public static string Script { get; } = Path.Combine(
        ServiceBinaries.FindRepositoryRoot() ?? throw new InvalidOperationException("no Streaming.sln above the tests"),
        "tests", "Streaming.IntegrationTests", "Exec", "exec_test_worker.py");

    /// <summary>The processor spec of the test worker in <paramref name="mode"/> (see the script).</summary>
    public static string Spec(string mode) => $"exec:python3 {Script} {mode}";

    /// <summary>The live child processes of <paramref name="parentPid"/> (a consumer's workers).</summary>
    public static List<int> Children(int parentPid)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || ReadStat(pid) is not { } stat)
            {
                continue;
            }
            if (stat.ParentPid == parentPid && stat.State != 'Z')
            {
                children.Add(pid);
            }
        }
        return children;
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => ReadStat(pid) is { State: not 'Z' };

    /// <summary>Waits until <paramref name="parentPid"/> has at least <paramref name="count"/> workers.</summary>
    public static async Task<List<int>> WaitForChildrenAsync(int parentPid, int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var children = Children(parentPid);
            if (children.Count >= count)
            {
                return children;
            }
            await Task.Delay(20, deadline.Token);
        }
    }

    private static (char State, int ParentPid)? ReadStat(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
