using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Streaming.Producer.Job.FileSystem;

/// <summary>
/// File names that are not valid UTF-8. Linux allows any bytes in a name; .NET decodes names as UTF-8 and reads each
/// invalid sequence as U+FFFD, so such a name is listed but cannot be opened, moved or even looked at through .NET (the
/// name it shows encodes to other bytes). Here they are listed as bytes (<c>readdir(3)</c>) and renamed to a valid
/// name (<c>renameat2(2)</c>) in which each invalid byte is written <c>%XX</c>. Linux only; elsewhere there are none.
/// </summary>
internal static partial class RawNames
{
    /// <summary>The longest name a file system takes (NAME_MAX), less room for a counter (<c>.10000</c>).</summary>
    private const int MaxEscapedBytes = 255 - 8;
    private const int AtCurrentDirectory = -100;
    private const uint RenameNoReplace = 1;
    private const int NotSupported = 22;        // EINVAL: the file system has no RENAME_NOREPLACE
    private const int NoSuchCall = 38;          // ENOSYS
    private const int NameOffset = 19;          // d_name in struct dirent64

    /// <summary>What .NET shows for <paramref name="raw"/>: each invalid sequence read as U+FFFD.</summary>
    public static string Shown(ReadOnlySpan<byte> raw) => Encoding.UTF8.GetString(raw);

    /// <summary>True when <paramref name="name"/> may be a name .NET read from bytes that are not UTF-8.</summary>
    public static bool MayBeNotUtf8(string name) => name.Contains('\uFFFD', StringComparison.Ordinal);

    /// <summary><paramref name="raw"/> as a valid name: valid UTF-8 kept, each invalid byte written <c>%XX</c>, cut to
    /// fit a file system's longest name (the last extension kept).</summary>
    public static string Escape(ReadOnlySpan<byte> raw)
    {
        var text = new StringBuilder(raw.Length * 2);
        while (!raw.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(raw, out var rune, out var consumed) == OperationStatus.Done)
            {
                text.Append(rune.ToString());
            }
            else
            {
                foreach (var b in raw[..consumed])
                {
                    text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
            raw = raw[consumed..];
        }
        return Shorten(text.ToString());
    }

    /// <summary>The names in <paramref name="directory"/> that are not valid UTF-8, as bytes. Empty elsewhere than Linux.</summary>
    /// <exception cref="IOException">The directory cannot be opened.</exception>
    public static List<byte[]> ListNotUtf8(string directory)
    {
        var found = new List<byte[]>();
        if (!OperatingSystem.IsLinux())
        {
            return found;
        }
        var handle = OpenDirectory(Terminated(Encoding.UTF8.GetBytes(directory)));
        if (handle == 0)
        {
            throw new IOException($"cannot list '{directory}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        try
        {
            for (var entry = ReadDirectory(handle); entry != 0; entry = ReadDirectory(handle))
            {
                var length = 0;
                while (Marshal.ReadByte(entry, NameOffset + length) != 0)
                {
                    length++;
                }
                var name = new byte[length];
                Marshal.Copy(entry + NameOffset, name, 0, length);
                if (!Utf8.IsValid(name))
                {
                    found.Add(name);
                }
            }
        }
        finally
        {
            _ = CloseDirectory(handle);
        }
        return found;
    }

    /// <summary>Renames <paramref name="raw"/> in <paramref name="directory"/> to <paramref name="name"/>, never over an
    /// existing entry; false when <paramref name="name"/> is taken.</summary>
    /// <exception cref="IOException">It cannot be renamed.</exception>
    public static bool TryRename(string directory, byte[] raw, string name)
    {
        var folder = Encoding.UTF8.GetBytes(directory + "/");
        var from = Terminated([.. folder, .. raw]);
        var to = Terminated([.. folder, .. Encoding.UTF8.GetBytes(name)]);
        if (RenameAt2(AtCurrentDirectory, from, AtCurrentDirectory, to, RenameNoReplace) == 0)
        {
            return true;
        }
        var error = Marshal.GetLastPInvokeError();
        if (error is NotSupported or NoSuchCall)
        {
            // Only this service renames inside the inbox; a writer racing it for this very name loses nothing worse.
            if (Path.Exists(Path.Combine(directory, name)))
            {
                return false;
            }
            if (Rename(from, to) == 0)
            {
                return true;
            }
            error = Marshal.GetLastPInvokeError();
        }
        return error == 17      // EEXIST
            ? false
            : throw new IOException($"cannot rename '{Shown(raw)}' in '{directory}': {Marshal.GetPInvokeErrorMessage(error)}");
    }

    /// <summary>
    /// Why <paramref name="path"/>, which does not exist, may still name a file: its folder holds a name that is not
    /// valid UTF-8 and reads the same in .NET. Null when it does not.
    /// </summary>
    public static string? DescribeUnreachable(string path)
    {
        var name = Path.GetFileName(path);
        if (!MayBeNotUtf8(name))
        {
            return null;
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try
        {
            // One U+FFFD per invalid byte or per invalid sequence: the command line's decoder and this one may differ.
            var twin = ListNotUtf8(folder).FirstOrDefault(raw => SameShown(Shown(raw), name));
            return twin is null
                ? null
                : $"its name is not valid UTF-8 (shown with the invalid bytes as %XX: '{Escape(twin)}'), and .NET reads those "
                  + "bytes as U+FFFD, so no .NET program can open it by that name; rename it to a valid UTF-8 name";
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool SameShown(string a, string b) => CollapseReplacements(a) == CollapseReplacements(b);

    private static string CollapseReplacements(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (c != '\uFFFD' || text.Length == 0 || text[^1] != '\uFFFD')
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }

    private static string Shorten(string name)
    {
        if (Encoding.UTF8.GetByteCount(name) <= MaxEscapedBytes)
        {
            return name;
        }
        var dot = name.LastIndexOf('.');
        var extension = dot > 0 && name.Length - dot <= 32 ? name[dot..] : "";
        var stem = new StringBuilder(name[..(name.Length - extension.Length)]);
        while (stem.Length > 0 && Encoding.UTF8.GetByteCount(stem.ToString()) + Encoding.UTF8.GetByteCount(extension) > MaxEscapedBytes)
        {
            stem.Length -= stem.Length > 1 && char.IsLowSurrogate(stem[^1]) ? 2 : 1;
        }
        return stem + extension;
    }

    private static byte[] Terminated(byte[] bytes) => [.. bytes, 0];

    [LibraryImport("libc.so.6", EntryPoint = "opendir", SetLastError = true)]
    private static partial nint OpenDirectory(byte[] path);

    [LibraryImport("libc.so.6", EntryPoint = "readdir64")]
    private static partial nint ReadDirectory(nint directory);

    [LibraryImport("libc.so.6", EntryPoint = "closedir")]
    private static partial int CloseDirectory(nint directory);

    [LibraryImport("libc.so.6", EntryPoint = "renameat2", SetLastError = true)]
    private static partial int RenameAt2(int fromDirectory, byte[] from, int toDirectory, byte[] to, uint flags);

    [LibraryImport("libc.so.6", EntryPoint = "rename", SetLastError = true)]
    private static partial int Rename(byte[] from, byte[] to);
}
