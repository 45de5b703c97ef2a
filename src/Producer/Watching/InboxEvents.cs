using System.Collections.Concurrent;

namespace Streaming.Producer.Watching;

/// <summary>
/// File-system events of the inbox (inotify on Linux), so that an arrival is looked at within milliseconds instead
/// of at the next listing. Only arrivals are watched (entries created or renamed to a name that is taken), not writes
/// or departures: a file still being written is caught by the quiet period, which needs no event. A rename inside the inbox from an ignored name
/// (<c>.x.writing</c>, <c>x.tmp</c>) to a name that is taken is how a writer says the file is complete: such names are
/// handed to the <see cref="StabilityTracker"/> as complete. Events are a hint: listing stays the truth, and a
/// watcher that cannot start (no inotify instances left) or overflows costs only latency.
/// </summary>
internal sealed class InboxEvents : IDisposable
{
    /// <summary>Completed renames remembered between two looks at the inbox; past this, the quiet period decides.</summary>
    private const int MaxPendingCompletions = 10_000;

    private readonly FileSystemWatcher? _watcher;
    private readonly WakeSignal _wake;
    private readonly ConcurrentQueue<string> _completed = new();
    private int _changed = 1;

    private InboxEvents(FileSystemWatcher? watcher, WakeSignal wake)
    {
        _watcher = watcher;
        _wake = wake;
    }

    /// <summary>Whether events arrive; false when only listing finds new entries.</summary>
    public bool Active => _watcher is not null;

    /// <summary>Watches <paramref name="inbox"/>; <paramref name="unavailable"/> says why not when it cannot.</summary>
    public static InboxEvents Start(string inbox, WakeSignal wake, out string? unavailable)
    {
        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(inbox)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
                IncludeSubdirectories = false,
                InternalBufferSize = 64 * 1024,
            };
            var events = new InboxEvents(watcher, wake);
            // Entries leaving the inbox (deleted, or taken by this service) bring nothing to take: the next listing
            // notices the ones that vanished before they were taken.
            watcher.Created += events.OnCreated;
            watcher.Renamed += events.OnRenamed;
            watcher.Error += events.OnError;
            watcher.EnableRaisingEvents = true;
            unavailable = null;
            return events;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            watcher?.Dispose();
            unavailable = ex.Message;
            return new InboxEvents(null, wake);
        }
    }

    /// <summary>True when the inbox changed since the last call (always true at first); hands the names renamed
    /// complete since then to <paramref name="tracker"/>.</summary>
    public bool TakeChanges(StabilityTracker tracker)
    {
        while (_completed.TryDequeue(out var name))
        {
            tracker.MarkComplete(name);
        }
        return Interlocked.Exchange(ref _changed, 0) == 1;
    }

    public void Dispose() => _watcher?.Dispose();

    private void OnCreated(object sender, FileSystemEventArgs e) => Changed();

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        if (e.Name is not { } name || InboxNames.IsIgnored(name))
        {
            return;     // renamed to a name that is never taken
        }
        if (e.OldName is { } old && InboxNames.IsIgnored(Path.GetFileName(old)) && _completed.Count < MaxPendingCompletions)
        {
            _completed.Enqueue(name);
        }
        Changed();
    }

    /// <summary>Events were lost (the kernel's queue overflowed): the next listing finds what they said.</summary>
    private void OnError(object sender, ErrorEventArgs e) => Changed();

    private void Changed()
    {
        Volatile.Write(ref _changed, 1);
        _wake.Set();
    }
}
