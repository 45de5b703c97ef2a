namespace Streaming.Producer.Watching;

/// <summary>
/// Decides when an inbox entry has stopped changing: its kind, size and modification time must stay the same for
/// the whole quiet period, unless its writer said it is complete by renaming it from an ignored name
/// (<see cref="MarkComplete"/>): then it is ready as it is first seen, and goes back to the quiet period if it
/// changes after all. Fed one pass over the inbox at a time (<see cref="Observe"/> for every entry listed, over one
/// scan or several, then <see cref="EndPass"/>); tracks at most <c>capacity</c> entries, so a flood of files costs
/// bounded memory (the rest are looked at in later passes). Pure: time is passed in.
/// </summary>
internal sealed class StabilityTracker(TimeSpan quietPeriod, int capacity)
{
    private readonly Dictionary<string, Tracked> _entries = new(StringComparer.Ordinal);

    /// <summary>Names renamed complete, with the pass they were marked in.</summary>
    private readonly Dictionary<string, long> _renamedComplete = new(StringComparer.Ordinal);

    private long _pass;

    public int Count => _entries.Count;

    /// <summary>Records that <paramref name="name"/> was just renamed into place from an ignored name: its writer
    /// is done with it. Holds until the end of the pass after this one (this pass may have listed it already).</summary>
    public void MarkComplete(string name)
    {
        if (_renamedComplete.Count < capacity)
        {
            _renamedComplete[name] = _pass;
        }
    }

    /// <summary>Records one look at <paramref name="name"/>; true when it has not changed for the quiet period, or
    /// was renamed complete and has not changed since.</summary>
    public bool Observe(string name, EntryStatus status, TimeSpan now)
    {
        var complete = _renamedComplete.Remove(name);
        if (_entries.TryGetValue(name, out var tracked))
        {
            if (complete || tracked.Status != status)
            {
                _entries[name] = new Tracked(status, now, complete, _pass);
                return complete || quietPeriod <= TimeSpan.Zero;
            }
            _entries[name] = tracked with { SeenInPass = _pass };
            return tracked.Complete || now - tracked.UnchangedSince >= quietPeriod;
        }
        if (_entries.Count >= capacity)
        {
            return false;
        }
        _entries.Add(name, new Tracked(status, now, complete, _pass));
        return complete || quietPeriod <= TimeSpan.Zero;
    }

    /// <summary>True when <paramref name="name"/> was observed before (in this pass or an earlier one).</summary>
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

    /// <summary>
    /// Ends a whole pass over the inbox: returns the tracked entries it did not list, and forgets them. Only a pass
    /// that listed the whole folder may say so (a listing lists every entry that stays in place while it runs): an entry
    /// not listed was removed or renamed at some point during the pass.
    /// </summary>
    public IReadOnlyList<string> EndPass()
    {
        var unlisted = _entries.Where(e => e.Value.SeenInPass != _pass).Select(e => e.Key).ToList();
        foreach (var name in unlisted)
        {
            _entries.Remove(name);
        }
        foreach (var name in _renamedComplete.Where(m => m.Value < _pass).Select(m => m.Key).ToList())
        {
            _renamedComplete.Remove(name);
        }
        _pass++;
        return unlisted;
    }

    private readonly record struct Tracked(EntryStatus Status, TimeSpan UnchangedSince, bool Complete, long SeenInPass);
}
