using Microsoft.Extensions.Logging;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Watching;

/// <summary>
/// Gives an inbox entry whose name is not valid UTF-8 a valid name, once, in the inbox (<see cref="RawNames"/>): .NET
/// cannot open, move or even look at it by the name it lists, so it would otherwise stay there for ever. Renamed, it is
/// an entry like any other (taken once it stops changing), and its outputs carry the new name. One that cannot be
/// renamed is left alone with one warning (at most <see cref="MaxGivenUp"/> of them remembered).
/// </summary>
internal sealed class NotUtf8Renamer(string inbox, ILogger logger)
{
    private const int MaxGivenUp = 1_000;

    /// <summary>Counters tried after the escaped name itself.</summary>
    private const int MaxVariants = 100;

    private readonly HashSet<string> _givenUp = new(StringComparer.Ordinal);

    /// <summary>Renames the entries that .NET lists as <paramref name="shown"/> (names with U+FFFD that it cannot find).</summary>
    public void Rename(IReadOnlyList<string> shown)
    {
        var wanted = shown.Where(name => !_givenUp.Contains(name)).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return;
        }
        List<byte[]> raw;
        try
        {
            raw = RawNames.ListNotUtf8(inbox);
        }
        catch (IOException ex)
        {
            WatchLog.ListFailed(logger, inbox, ex.Message);
            return;
        }
        foreach (var name in raw.Where(name => wanted.Contains(RawNames.Shown(name))))
        {
            RenameOne(name);
        }
    }

    private void RenameOne(byte[] raw)
    {
        var shown = RawNames.Shown(raw);
        var escaped = RawNames.Escape(raw);
        try
        {
            for (var attempt = 1; attempt <= MaxVariants; attempt++)
            {
                var candidate = InboxNames.Variant(escaped, attempt);
                if (RawNames.TryRename(inbox, raw, candidate))
                {
                    WatchLog.RenamedNotUtf8(logger, shown, candidate);
                    return;
                }
            }
            GiveUp(shown, $"{MaxVariants} names like '{escaped}' are taken");
        }
        catch (IOException ex)
        {
            GiveUp(shown, ex.Message);
        }
    }

    private void GiveUp(string shown, string reason)
    {
        if (_givenUp.Count < MaxGivenUp && _givenUp.Add(shown))
        {
            WatchLog.NotUtf8RenameFailed(logger, shown, reason);
        }
    }
}
