using System.Runtime.InteropServices;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Watching;

/// <summary>
/// Looks at a folder entry without opening it. On Linux this is <see cref="Statx"/>; elsewhere it falls back to what
/// .NET reports (directories and symbolic links are recognised, other special files are not).
/// </summary>
internal static class FileProbe
{
    private const int NoSuchEntry = 2;        // ENOENT
    private const int NotADirectory = 20;     // ENOTDIR
    private const int TooManyLinks = 40;      // ELOOP

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

    /// <summary>What <paramref name="path"/> is on disk (links followed): two paths with the same identity are one
    /// entry. Elsewhere than Linux, its full path with links resolved.</summary>
    /// <exception cref="IOException">It cannot be looked at.</exception>
    public static string Identity(string path)
    {
        if (!s_statxMissing)
        {
            try
            {
                var result = Statx.Call(Statx.AtCurrentDirectory, path, 0, Statx.WantType | Statx.WantInode, out var status);
                return result == 0
                    ? $"{status.DeviceMajor}:{status.DeviceMinor}:{status.Inode}"
                    : throw StatFailed(path, Marshal.GetLastPInvokeError());
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                s_statxMissing = true;
            }
        }
        var info = new DirectoryInfo(path);
        return Path.GetFullPath(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName);
    }

    private static EntryStatus ProbeWithStatx(string path)
    {
        if (!TryStatx(path, follow: false, out var own, out var error))
        {
            return error is NoSuchEntry or NotADirectory ? EntryStatus.Missing : throw StatFailed(path, error);
        }
        if (own.Type != Statx.TypeSymlink)
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
        var kind = status.Type switch
        {
            Statx.TypeRegular => EntryKind.RegularFile,
            Statx.TypeDirectory => EntryKind.Directory,
            Statx.TypeFifo => EntryKind.Fifo,
            Statx.TypeSocket => EntryKind.Socket,
            Statx.TypeCharacterDevice => EntryKind.CharacterDevice,
            Statx.TypeBlockDevice => EntryKind.BlockDevice,
            _ => EntryKind.Other,
        };
        return new EntryStatus(kind, isSymlink, (long)status.Size, status.ModifiedNanoseconds);
    }

    private static bool TryStatx(string path, bool follow, out StatxBuffer buffer, out int error)
    {
        var result = Statx.Call(Statx.AtCurrentDirectory, path, follow ? 0 : Statx.AtSymlinkNoFollow,
            Statx.WantType | Statx.WantMode | Statx.WantSize | Statx.WantModifiedTime, out buffer);
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
}
