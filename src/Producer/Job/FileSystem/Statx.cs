using System.Runtime.InteropServices;

namespace Streaming.Producer.Job.FileSystem;

/// <summary>
/// <c>statx(2)</c> on Linux: what a folder entry or an open descriptor is, without opening it (opening a FIFO blocks
/// until a writer comes) and without .NET's <see cref="FileInfo"/>, which cannot tell a FIFO, socket or device from an
/// empty file. Its structure has the same layout on every architecture.
/// </summary>
internal static partial class Statx
{
    public const int AtCurrentDirectory = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public const uint WantType = 0x1;
    public const uint WantMode = 0x2;
    public const uint WantModifiedTime = 0x40;
    public const uint WantInode = 0x100;
    public const uint WantSize = 0x200;

    public const int TypeMask = 0xF000;
    public const int TypeFifo = 0x1000;
    public const int TypeCharacterDevice = 0x2000;
    public const int TypeDirectory = 0x4000;
    public const int TypeBlockDevice = 0x6000;
    public const int TypeRegular = 0x8000;
    public const int TypeSymlink = 0xA000;
    public const int TypeSocket = 0xC000;

    [LibraryImport("libc.so.6", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Call(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);
}

/// <summary><c>struct statx</c> (256 bytes), only the fields read here.</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct StatxBuffer
{
    [FieldOffset(28)]
    public ushort Mode;

    [FieldOffset(32)]
    public ulong Inode;

    [FieldOffset(40)]
    public ulong Size;

    [FieldOffset(112)]
    public long ModifiedSeconds;

    [FieldOffset(120)]
    public uint ModifiedNanosecondPart;

    [FieldOffset(136)]
    public uint DeviceMajor;

    [FieldOffset(140)]
    public uint DeviceMinor;

    public readonly int Type => Mode & Statx.TypeMask;

    public readonly long ModifiedNanoseconds => (ModifiedSeconds * 1_000_000_000L) + ModifiedNanosecondPart;
}
