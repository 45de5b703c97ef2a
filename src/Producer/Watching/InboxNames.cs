namespace Streaming.Producer.Watching;

/// <summary>
/// Which inbox names are left alone, and the names a file takes when its own is already used. Pure functions.
/// </summary>
internal static class InboxNames
{
    private static readonly string[] s_ignoredSuffixes = [".tmp", ".part", ".partial"];

    /// <summary>Hidden files and the usual names of files still being written (<c>*.tmp</c>, <c>*.part</c>,
    /// <c>*.partial</c>, any case) are never taken: a writer that renames its file when complete is never read early.</summary>
    public static bool IsIgnored(string name) =>
        name.Length == 0
        || name[0] == '.'
        || s_ignoredSuffixes.Any(suffix => name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The <paramref name="attempt"/>-th name for <paramref name="name"/>: the name itself first, then a counter
    /// before the last extension, so the kind of file stays visible (<c>data.txt</c>, <c>data.2.txt</c>,
    /// <c>data.3.txt</c>; <c>notes</c>, <c>notes.2</c>).
    /// </summary>
    public static string Variant(string name, int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        if (attempt == 1)
        {
            return name;
        }
        var dot = name.LastIndexOf('.');
        return dot <= 0
            ? $"{name}.{attempt}"
            : $"{name[..dot]}.{attempt}{name[dot..]}";
    }
}
