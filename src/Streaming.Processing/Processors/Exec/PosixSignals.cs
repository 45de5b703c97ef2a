using System.Runtime.InteropServices;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>SIGTERM for a worker (<see cref="System.Diagnostics.Process.Kill()"/> only sends SIGKILL).</summary>
internal static partial class PosixSignals
{
    private const int SigTerm = 15;

    public static void Terminate(int processId)
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Kill(processId, SigTerm);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
