using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>How many bytes wait unread in a pipe (Linux's <c>FIONREAD</c>): a look at a worker's output that does not
/// wait for a timer.</summary>
internal static partial class PipeBacklog
{
    private const uint FionRead = 0x541B;

    /// <summary>The bytes waiting in <paramref name="stream"/>'s pipe; null where that cannot be told.</summary>
    public static int? Of(Stream stream)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream pipe)
        {
            return null;
        }
        try
        {
            var bytes = 0;
            return Ioctl(pipe.SafePipeHandle, FionRead, ref bytes) == 0 ? bytes : null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(SafePipeHandle descriptor, nuint request, ref int bytes);
}
