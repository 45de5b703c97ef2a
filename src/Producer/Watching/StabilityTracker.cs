namespace Streaming.Producer.Watching;

/// <summary>
/// Decides when an inbox entry has stopped changing: its kind, size and modification time must stay the same for
/// the whole quiet period, unless its writer said it is complete by renaming it from an ignored name
/// (<see cref="MarkComplete"/>): then it is ready as it is first seen, and goes back to the quiet period if it
/// changes after all. Fed one scan at a time (<see cref="Observe"/> for every entry listed, then
/// <see cref="EndScan"/>); tracks at most <c>capacity</c> entries, so a flood of files costs bounded memory (the
/// rest are looked at in later scans). Pure: time is passed in.
/// </summary>
internal sealed class StabilityTracker(TimeSpan quietPeriod, int capacity)
{
    private readonly Dictionary<string, Tracked> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenThisScan = new(StringComparer.Ordinal);
    private readonly HashSet<string> _renamedComplete = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>Records that <paramref name="name"/> was just renamed into place from an ignored name: its writer
    /// is done with it. Holds until the next <see cref="EndScan"/>.</summary>
    public void MarkComplete(string name)
    {
        if (_renamedComplete.Count < capacity)
        {
            _renamedComplete.Add(name);
        }
    }

    /// <summary>Records one look at <paramref name="name"/>; true when it has not changed for the quiet period, or
    /// was renamed complete and has not changed since.</summary>
    public bool Observe(string name, EntryStatus status, TimeSpan now)
    {
        var complete = _renamedComplete.Remove(name);
        if (_entries.TryGetValue(name, out var tracked))
        {
            _seenThisScan.Add(name);
            if (complete || tracked.Status != status)
            {
                _entries[name] = new Tracked(status, now, complete);
                return complete || quietPeriod <= TimeSpan.Zero;
            }
            return tracked.Complete || now - tracked.UnchangedSince >= quietPeriod;
        }
        if (_entries.Count >= capacity)
        {
            return false;
        }
        _entries.Add(name, new Tracked(status, now, complete));
        _seenThisScan.Add(name);
        return complete || quietPeriod <= TimeSpan.Zero;
    }

    /// <summary>True when <paramref name="name"/> was observed before (in this scan or an earlier one).</summary>
    public bool IsTracked(string name) => _entries.ContainsKey(name);

    /// <summary>Stops tracking an entry that was taken or moved away.</summary>
    public void Forget(string name) => _entries.Remove(name);

    /// <summary>The earliest time after <paramref name="now"/> at which a tracked entry's quiet period ends if it
    /// does not change; null when none is waiting.</summary>
    public TimeSpan? NextQuietEnd(TimeSpan now)
    {
        TimeSpan? next = null;
        foreach (var tracked in _entries.Values)
        {
            var end = tracked.UnchangedSince + quietPeriod;
            if (!tracked.Complete && end > now && (next is null || end < next))
            {
                next = end;
            }
        }
        return next;
    }

    /// <summary>Ends a scan: returns the tracked entries that were not listed in it (they disappeared), and forgets them.</summary>
    public IReadOnlyList<string> EndScan()
    {
        var vanished = _entries.Keys.Where(name => !_seenThisScan.Contains(name)).ToList();
        foreach (var name in vanished)
        {
            _entries.Remove(name);
        }
        _seenThisScan.Clear();
        _renamedComplete.Clear();
        return vanished;
    }

    private readonly record struct Tracked(EntryStatus Status, TimeSpan UnchangedSince, bool Complete);
}
