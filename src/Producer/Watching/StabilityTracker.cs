namespace Streaming.Producer.Watching;

/// <summary>
/// Decides when an inbox entry has stopped changing: its kind, size and modification time must stay the same for
/// the whole quiet period. Fed one scan at a time (<see cref="Observe"/> for every entry listed, then
/// <see cref="EndScan"/>); tracks at most <c>capacity</c> entries, so a flood of files costs bounded memory (the
/// rest are looked at in later scans). Pure: time is passed in.
/// </summary>
internal sealed class StabilityTracker(TimeSpan quietPeriod, int capacity)
{
    private readonly Dictionary<string, Tracked> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenThisScan = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>Records one look at <paramref name="name"/>; true when it has not changed for the quiet period.</summary>
    public bool Observe(string name, EntryStatus status, TimeSpan now)
    {
        if (_entries.TryGetValue(name, out var tracked))
        {
            _seenThisScan.Add(name);
            if (tracked.Status != status)
            {
                _entries[name] = new Tracked(status, now);
                return false;
            }
            return now - tracked.UnchangedSince >= quietPeriod;
        }
        if (_entries.Count >= capacity)
        {
            return false;
        }
        _entries.Add(name, new Tracked(status, now));
        _seenThisScan.Add(name);
        return quietPeriod <= TimeSpan.Zero;
    }

    /// <summary>True when <paramref name="name"/> was observed before (in this scan or an earlier one).</summary>
    public bool IsTracked(string name) => _entries.ContainsKey(name);

    /// <summary>Stops tracking an entry that was taken or moved away.</summary>
    public void Forget(string name) => _entries.Remove(name);

    /// <summary>Ends a scan: returns the tracked entries that were not listed in it (they disappeared), and forgets them.</summary>
    public IReadOnlyList<string> EndScan()
    {
        var vanished = _entries.Keys.Where(name => !_seenThisScan.Contains(name)).ToList();
        foreach (var name in vanished)
        {
            _entries.Remove(name);
        }
        _seenThisScan.Clear();
        return vanished;
    }

    private readonly record struct Tracked(EntryStatus Status, TimeSpan UnchangedSince);
}
