using System.Runtime.InteropServices;

namespace Streaming.Producer.Watching;

/// <summary>
/// Looks at a folder entry without opening it: opening a FIFO blocks until a writer comes, and .NET's
/// <see cref="FileInfo"/> cannot tell a FIFO, socket or device from an empty file. On Linux this is <c>statx(2)</c>,
/// whose structure has the same layout on every architecture; elsewhere it falls back to what .NET reports
/// (directories and symbolic links are recognised, other special files are not).
/// </summary>
internal static partial class FileProbe
{
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;
    private const uint StatxModifiedTime = 0x40;
    private const uint StatxSize = 0x200;
    private const int NoSuchEntry = 2;        // ENOENT
    private const int NotADirectory = 20;     // ENOTDIR
    private const int TooManyLinks = 40;      // ELOOP

    private const int TypeMask = 0xF000;
    private const int TypeFifo = 0x1000;
    private const int TypeCharacterDevice = 0x2000;
    private const int TypeDirectory = 0x4000;
    private const int TypeBlockDevice = 0x6000;
    private const int TypeRegular = 0x8000;
    private const int TypeSymlink = 0xA000;
    private const int TypeSocket = 0xC000;

    private static bool s_statxMissing = !OperatingSystem.IsLinux();

    public static EntryStatus Probe(string path)
    {
        if (!s_statxMissing)
        {
            try
            {
                return ProbeWithStatx(path);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                s_statxMissing = true;
            }
        }
        return ProbeManaged(path);
    }

    private static EntryStatus ProbeWithStatx(string path)
    {
        if (!TryStatx(path, follow: false, out var own, out var error))
        {
            return error is NoSuchEntry or NotADirectory ? EntryStatus.Missing : throw StatFailed(path, error);
        }
        if ((own.Mode & TypeMask) != TypeSymlink)
        {
            return Describe(own, isSymlink: false);
        }
        if (!TryStatx(path, follow: true, out var target, out error))
        {
            return error is NoSuchEntry or NotADirectory or TooManyLinks
                ? new EntryStatus(EntryKind.DanglingSymlink, true, (long)own.Size, own.ModifiedNanoseconds)
                : throw StatFailed(path, error);
        }
        return Describe(target, isSymlink: true);
    }

    private static EntryStatus Describe(StatxBuffer status, bool isSymlink)
    {
        var kind = (status.Mode & TypeMask) switch
        {
            TypeRegular => EntryKind.RegularFile,
            TypeDirectory => EntryKind.Directory,
            TypeFifo => EntryKind.Fifo,
            TypeSocket => EntryKind.Socket,
            TypeCharacterDevice => EntryKind.CharacterDevice,
            TypeBlockDevice => EntryKind.BlockDevice,
            _ => EntryKind.Other,
        };
        return new EntryStatus(kind, isSymlink, (long)status.Size, status.ModifiedNanoseconds);
    }

    private static bool TryStatx(string path, bool follow, out StatxBuffer buffer, out int error)
    {
        var result = Statx(AtCurrentDirectory, path, follow ? 0 : AtSymlinkNoFollow,
            StatxType | StatxMode | StatxSize | StatxModifiedTime, out buffer);
        error = result == 0 ? 0 : Marshal.GetLastPInvokeError();
        return result == 0;
    }

    private static IOException StatFailed(string path, int error) =>
        new($"cannot look at '{path}': {Marshal.GetPInvokeErrorMessage(error)}");

    private static EntryStatus ProbeManaged(string path)
    {
        var link = new FileInfo(path);
        var isSymlink = link.LinkTarget is not null;
        if (!isSymlink && !link.Exists && !Directory.Exists(path))
        {
            return EntryStatus.Missing;
        }
        var target = isSymlink ? link.ResolveLinkTarget(returnFinalTarget: true) : link;
        if (target is null || (!File.Exists(target.FullName) && !Directory.Exists(target.FullName)))
        {
            return new EntryStatus(EntryKind.DanglingSymlink, true, 0, link.LastWriteTimeUtc.Ticks * 100);
        }
        if (Directory.Exists(target.FullName))
        {
            return new EntryStatus(EntryKind.Directory, isSymlink, 0, Directory.GetLastWriteTimeUtc(target.FullName).Ticks * 100);
        }
        var file = new FileInfo(target.FullName);
        return new EntryStatus(EntryKind.RegularFile, isSymlink, file.Length, file.LastWriteTimeUtc.Ticks * 100);
    }

    [LibraryImport("libc.so.6", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    /// <summary><c>struct statx</c> (256 bytes), only the fields read here.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(40)]
        public ulong Size;

        [FieldOffset(112)]
        public long ModifiedSeconds;

        [FieldOffset(120)]
        public uint ModifiedNanosecondPart;

        public readonly long ModifiedNanoseconds => (ModifiedSeconds * 1_000_000_000L) + ModifiedNanosecondPart;
    }
}
