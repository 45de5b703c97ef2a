using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Watching;

/// <summary>
/// Lists the inbox, skips ignored names, looks at each entry without opening it, and feeds the
/// <see cref="StabilityTracker"/>: an entry is acted on only once it has not changed for the quiet period, so a file
/// still being written is never taken and a folder still being filled is never moved away. One scan lists at most
/// <c>maxEntriesPerScan</c> entries, and the next scan goes on where it stopped: a pass over a large inbox takes several
/// scans, every entry gets its turn, and a tracked entry is judged vanished only by a pass that listed the whole folder.
/// </summary>
internal sealed class InboxScanner(string inbox, StabilityTracker tracker, int maxEntriesPerScan = InboxScanner.MaxEntriesPerScan) : IDisposable
{
    public const int MaxEntriesPerScan = 10_000;

    /// <summary>The pass under way, continued by the next scan; null between passes.</summary>
    private IEnumerator<string>? _listing;

    /// <summary>Stops tracking an entry that was taken or moved away.</summary>
    public void Forget(string name) => tracker.Forget(name);

    /// <exception cref="IOException">The inbox cannot be listed (the pass starts over at the next scan).</exception>
    /// <exception cref="UnauthorizedAccessException">The inbox cannot be listed.</exception>
    public InboxScan Scan(TimeSpan now)
    {
        var ready = new List<(string Name, long Modified)>();
        var unprocessable = new List<(string, string)>();
        var goneAtOnce = new List<string>();
        var newlySeen = new List<string>();
        var notUtf8 = new List<string>();
        var passEnded = false;
        try
        {
            _listing ??= Directory.EnumerateFileSystemEntries(inbox).GetEnumerator();
            for (var listed = 0; listed < maxEntriesPerScan; listed++)
            {
                if (!_listing.MoveNext())
                {
                    passEnded = true;
                    break;
                }
                Look(_listing.Current, now, ready, unprocessable, goneAtOnce, newlySeen, notUtf8);
            }
        }
        catch
        {
            EndListing();
            throw;
        }
        var vanished = goneAtOnce;
        if (passEnded)
        {
            EndListing();
            // Not listed in a whole pass means removed at some point during it; what is back by now is not gone.
            vanished = [.. tracker.EndPass().Where(name => IsMissing(Path.Combine(inbox, name))), .. goneAtOnce];
        }
        return new InboxScan(
            ready.OrderBy(r => r.Modified).ThenBy(r => r.Name, StringComparer.Ordinal).Select(r => r.Name).ToList(),
            unprocessable, vanished, newlySeen, notUtf8, passEnded);
    }

    public void Dispose() => EndListing();

    private void Look(
        string path, TimeSpan now, List<(string Name, long Modified)> ready, List<(string, string)> unprocessable,
        List<string> goneAtOnce, List<string> newlySeen, List<string> notUtf8)
    {
        var name = Path.GetFileName(path);
        if (InboxNames.IsIgnored(name))
        {
            return;
        }
        EntryStatus status;
        try
        {
            status = FileProbe.Probe(path);
        }
        catch (IOException ex)
        {
            unprocessable.Add((name, ex.Message));
            tracker.Forget(name);
            return;
        }
        if (status.Kind == EntryKind.Missing)
        {
            if (RawNames.MayBeNotUtf8(name))
            {
                notUtf8.Add(name);      // listed, yet not there: .NET read its name's bytes as U+FFFD
            }
            else if (!tracker.IsTracked(name))
            {
                goneAtOnce.Add(name);
            }
            return;
        }
        var known = tracker.IsTracked(name);
        if (!tracker.Observe(name, status, now))
        {
            if (!known && tracker.IsTracked(name))
            {
                newlySeen.Add(name);
            }
            return;
        }
        if (status.Unprocessable is { } reason)
        {
            unprocessable.Add((name, reason));
        }
        else
        {
            ready.Add((name, status.ModifiedNanoseconds));
        }
    }

    private static bool IsMissing(string path)
    {
        try
        {
            return FileProbe.Probe(path).Kind == EntryKind.Missing;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void EndListing()
    {
        _listing?.Dispose();
        _listing = null;
    }
}
