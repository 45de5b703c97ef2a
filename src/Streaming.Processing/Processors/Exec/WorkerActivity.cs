using System.Globalization;
using System.Runtime.InteropServices;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>What a worker's main thread is doing, as Linux's <c>/proc</c> tells.</summary>
internal enum WorkerActivity
{
    /// <summary><c>/proc</c> cannot tell (not Linux, the worker is gone, or its files are closed to this process).</summary>
    Unknown,

    /// <summary>It runs, waits for a CPU, or waits on the disk.</summary>
    Running,

    /// <summary>It sleeps in a read of its standard input: it has taken every line it was sent.</summary>
    WaitingForInput,

    /// <summary>It sleeps on something else (a timer, a socket, a child).</summary>
    WaitingElsewhere,
}

/// <summary>
/// Reads <see cref="WorkerActivity"/> from the worker's <c>/proc/PID/stat</c> and <c>/proc/PID/syscall</c> (the
/// system call it sleeps in, readable by its parent), or <c>/proc/PID/wchan</c> (the kernel function it sleeps in)
/// where the first is closed.
/// </summary>
internal static class WorkerActivityProbe
{
    /// <summary>This architecture's numbers of the system calls that read a descriptor (none known: empty).</summary>
    internal static readonly long[] ReadCalls = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => [0, 17, 19],       // read, pread64, readv
        Architecture.Arm64 => [63, 65, 67],    // read, readv, pread64
        _ => [],
    };

    public static WorkerActivity Of(WorkerGroup worker)
    {
        if (!OperatingSystem.IsLinux()
            || ProcStat.Read(worker.Id) is not { } stat
            || stat.StartTicks != worker.StartTicks)
        {
            return WorkerActivity.Unknown;
        }
        if (stat.State is 'R' or 'D')
        {
            return WorkerActivity.Running;
        }
        if (stat.State != 'S')
        {
            return WorkerActivity.Unknown;   // stopped, traced or a zombie: its output's end tells the rest
        }
        var directory = Path.Combine("/proc", worker.Id.ToString(CultureInfo.InvariantCulture));
        if (ReadOrNull(Path.Combine(directory, "syscall")) is { } call)
        {
            return FromSystemCall(call);
        }
        return ReadOrNull(Path.Combine(directory, "wchan")) is { Length: > 0 } function and not "0"
            ? function.Contains("pipe_read", StringComparison.Ordinal) ? WorkerActivity.WaitingForInput : WorkerActivity.WaitingElsewhere
            : WorkerActivity.Unknown;
    }

    /// <summary>From <c>/proc/PID/syscall</c>: "running", "-1 sp pc" (asleep outside a call), or "nr arg1 … sp pc"
    /// with the arguments in hex.</summary>
    internal static WorkerActivity FromSystemCall(string call)
    {
        var fields = call.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0 || fields[0] == "running")
        {
            return WorkerActivity.Running;
        }
        if (!long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || ReadCalls.Length == 0)
        {
            return WorkerActivity.Unknown;
        }
        return fields.Length > 1 && fields[1] == "0x0" && ReadCalls.Contains(number)
            ? WorkerActivity.WaitingForInput
            : WorkerActivity.WaitingElsewhere;
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
