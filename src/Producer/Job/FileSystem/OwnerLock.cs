using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Streaming.Producer.Job.FileSystem;

/// <summary>
/// One owner per output: an exclusive <c>flock(2)</c> on a lock file, taken without waiting and released by the kernel
/// when the process ends, however it ends. The file holds the owner's PID, so a second owner can name it.
/// </summary>
/// <remarks>
/// .NET's <see cref="FileShare"/> is no lock on Linux (<c>FileShare.Read</c> takes a shared lock that any number of
/// writers share), so the lock is taken here directly. The owner deletes the file when it is done; a lock won on a file
/// that was deleted meanwhile (its name now belongs to a newer file, or to none) is let go and taken again.
/// </remarks>
internal sealed partial class OwnerLock : IDisposable
{
    private const int OpenReadOnly = 0x0;
    private const int OpenReadWrite = 0x2;
    private const int OpenCreate = 0x40;
    private const int OpenNoFollow = 0x20000;
    private const int OpenCloseOnExec = 0x80000;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int WouldBlock = 11;           // EWOULDBLOCK (EAGAIN) on Linux
    private const int Interrupted = 4;           // EINTR
    private const int Attempts = 5;

    private readonly SafeFileHandle _handle;
    private int _disposed;

    private OwnerLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Who holds a lock, for a message: "process 1234", or "another process" when its PID is unknown.</summary>
    public static string Holder(int holderPid) => holderPid > 0 ? $"process {holderPid}" : "another process";

    /// <summary>Takes the lock on <paramref name="path"/>, or returns null with the holder's PID (0 when unknown).</summary>
    /// <exception cref="IOException">The lock file cannot be opened (a missing or unwritable folder, a symbolic link).</exception>
    public static OwnerLock? TryAcquire(string path, out int holderPid)
    {
        holderPid = 0;
        if (!OperatingSystem.IsLinux())
        {
            return AcquireWithFileShare(path, out holderPid);
        }
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var fd = PosixFiles.Open(path, OpenReadWrite | OpenCreate | OpenNoFollow | OpenCloseOnExec, 0b110_100_100);
            if (fd < 0)
            {
                throw Failed("cannot open the lock file", path, Marshal.GetLastPInvokeError());
            }
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            int result, error;
            do
            {
                result = Flock(fd, LockExclusive | LockNonBlocking);
                error = result == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
            while (result != 0 && error == Interrupted);
            if (result != 0)
            {
                handle.Dispose();
                if (error != WouldBlock)
                {
                    throw Failed("cannot lock", path, error);
                }
                holderPid = ReadPid(path);
                return null;
            }
            if (IsDeleted(fd))
            {
                handle.Dispose();     // the previous owner deleted it after we opened it: take the new one
                continue;
            }
            var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            if (Truncate(fd, 0) != 0)
            {
                var truncateError = Marshal.GetLastPInvokeError();
                handle.Dispose();
                throw Failed("cannot write", path, truncateError);
            }
            RandomAccess.Write(handle, pid, fileOffset: 0);
            return new OwnerLock(path, handle);
        }
        throw new IOException($"cannot lock '{path}': it was deleted and made again {Attempts} times in a row");
    }

    /// <summary>Deletes the lock file, then lets the lock go: whoever opens the name next makes a new file.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            File.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind it is harmless: the next owner locks it again.
        }
        _handle.Dispose();
    }

    private static bool IsDeleted(int fd)
    {
        var target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        return target is null || target.EndsWith(" (deleted)", StringComparison.Ordinal);
    }

    private static int ReadPid(string path)
    {
        var fd = PosixFiles.Open(path, OpenReadOnly | OpenNoFollow | OpenCloseOnExec, 0);
        if (fd < 0)
        {
            return 0;
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        Span<byte> buffer = stackalloc byte[32];
        var read = ReadBytes(fd, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length);
        if (read <= 0)
        {
            return 0;
        }
        var text = Encoding.ASCII.GetString(buffer[..(int)read]).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
    }

    private static OwnerLock? AcquireWithFileShare(string path, out int holderPid)
    {
        holderPid = 0;
        try
        {
            return new OwnerLock(path, File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    private static IOException Failed(string what, string path, int error) =>
        new($"{what} '{path}': {Marshal.GetPInvokeErrorMessage(error)}");

    [LibraryImport("libc.so.6", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc.so.6", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Truncate(int fd, long length);

    [LibraryImport("libc.so.6", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadBytes(int fd, ref byte buffer, nuint count);
}
