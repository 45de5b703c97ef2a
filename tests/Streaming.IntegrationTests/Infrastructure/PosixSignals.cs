using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>Sends POSIX signals by process id (libc <c>kill(2)</c>); .NET itself only sends SIGKILL.</summary>
internal static partial class PosixSignals
{
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Terminate = 15;

    private const int NoSuchProcess = 3;    // ESRCH

    /// <summary>Sends <paramref name="signal"/>; false when the process does not exist (any more).</summary>
    public static bool Send(int pid, int signal)
    {
        if (SendNative(pid, signal) == 0)
        {
            return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno == NoSuchProcess ? false : throw new Win32Exception(errno, $"kill({pid}, {signal}) failed");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendNative(int pid, int signal);
}
