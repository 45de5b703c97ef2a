namespace Streaming.Producer.Watching;

/// <summary>
/// Lists the inbox (at most <see cref="MaxEntriesPerScan"/> entries a time), skips ignored names, looks at each entry
/// without opening it, and feeds the <see cref="StabilityTracker"/>: an entry is acted on only once it has not
/// changed for the quiet period, so a file still being written is never taken and a folder still being filled is
/// never moved away.
/// </summary>
internal sealed class InboxScanner(string inbox, StabilityTracker tracker, int maxEntriesPerScan = InboxScanner.MaxEntriesPerScan) : IDisposable
{
    public const int MaxEntriesPerScan = 10_000;

    /// <summary>Stops tracking an entry that was taken or moved away.</summary>
    public void Forget(string name) => tracker.Forget(name);

    public InboxScan Scan(TimeSpan now)
    {
        var ready = new List<(string Name, long Modified)>();
        var unprocessable = new List<(string, string)>();
        var goneAtOnce = new List<string>();
        var newlySeen = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(inbox).Take(maxEntriesPerScan))
        {
            var name = Path.GetFileName(path);
            if (InboxNames.IsIgnored(name))
            {
                continue;
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
                continue;
            }
            if (status.Kind == EntryKind.Missing)
            {
                if (!tracker.IsTracked(name))
                {
                    goneAtOnce.Add(name);
                }
                continue;
            }
            var known = tracker.IsTracked(name);
            if (!tracker.Observe(name, status, now))
            {
                if (!known && tracker.IsTracked(name))
                {
                    newlySeen.Add(name);
                }
                continue;
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
        var vanished = tracker.EndScan().Concat(goneAtOnce).ToList();
        return new InboxScan(
            ready.OrderBy(r => r.Modified).ThenBy(r => r.Name, StringComparer.Ordinal).Select(r => r.Name).ToList(),
            unprocessable, vanished, newlySeen);
    }

    public void Dispose()
    {
    }
}
