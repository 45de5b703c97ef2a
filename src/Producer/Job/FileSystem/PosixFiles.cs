using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Streaming.Producer.Job.FileSystem;

/// <summary>
/// The two file operations .NET does not offer: opening without following a symbolic link (so whoever may write the
/// output folder cannot point an output at a file elsewhere), and fsync of a folder (so a rename survives power loss).
/// Elsewhere than Linux both fall back to what .NET does.
/// </summary>
internal static partial class PosixFiles
{
    private const int OpenReadOnly = 0x0;
    private const int OpenReadWrite = 0x2;
    private const int OpenCreate = 0x40;
    private const int OpenDirectory = 0x10000;
    private const int OpenNoFollow = 0x20000;
    private const int OpenCloseOnExec = 0x80000;
    private const int SymbolicLinkLoop = 40;      // ELOOP: what O_NOFOLLOW answers for a symbolic link
    private const int ReadWriteForOwner = 0b110_100_100;
    private const int OpenNonBlocking = 0x800;

    /// <summary>
    /// Opens an input to read. It never blocks (a FIFO put in the file's place opens at once, and is then refused) and
    /// the descriptor it opened is checked, not the name: whatever the name points to by now, only a regular file is read.
    /// </summary>
    /// <exception cref="IOException">It cannot be opened, or it is not a regular file.</exception>
    public static SafeFileHandle OpenInput(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        var fd = Open(path, OpenReadOnly | OpenNonBlocking | OpenCloseOnExec, 0);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw error == 2
                ? new FileNotFoundException($"'{path}' does not exist", path)
                : new IOException($"cannot open '{path}': {Marshal.GetPInvokeErrorMessage(error)}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Statx.Call(fd, "", Statx.AtEmptyPath, Statx.WantType, out var status) != 0 || status.Type != Statx.TypeRegular)
        {
            handle.Dispose();
            throw new IOException($"'{path}' is not a regular file");
        }
        return handle;
    }

    /// <summary>Opens (creating it when missing) a regular file to read and write, refusing a symbolic link.</summary>
    public static SafeFileHandle OpenForWriting(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        }
        var fd = Open(path, OpenReadWrite | OpenCreate | OpenNoFollow | OpenCloseOnExec, ReadWriteForOwner);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw new IOException(error == SymbolicLinkLoop
                ? $"'{path}' is a symbolic link; outputs are never written through one"
                : $"cannot open '{path}': {Marshal.GetPInvokeErrorMessage(error)}");
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Makes the entries of <paramref name="directory"/> (renames, new and deleted files) durable.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fd = Open(directory, OpenReadOnly | OpenDirectory | OpenCloseOnExec, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open '{directory}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Fsync(fd) != 0)
        {
            throw new IOException($"cannot sync '{directory}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc.so.6", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);
}
