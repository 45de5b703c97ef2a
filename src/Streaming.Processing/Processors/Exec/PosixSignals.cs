using System.Runtime.InteropServices;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>Signals for a worker's whole process group: <see cref="System.Diagnostics.Process.Kill()"/> reaches only
/// the worker, and a <c>sh -c …</c> worker's own children would outlive it.</summary>
internal static partial class PosixSignals
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>SIGTERM to the group <paramref name="groupId"/> (a worker's pid: it leads its own group).</summary>
    public static void TerminateGroup(int groupId) => SendToGroup(groupId, SigTerm);

    /// <summary>SIGKILL to the group <paramref name="groupId"/>.</summary>
    public static void KillGroup(int groupId) => SendToGroup(groupId, SigKill);

    private static void SendToGroup(int groupId, int signal)
    {
        if (!OperatingSystem.IsWindows() && groupId > 1)
        {
            _ = Kill(-groupId, signal);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
