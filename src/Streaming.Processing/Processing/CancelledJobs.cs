namespace Streaming.Consumer.Processing;

/// <summary>
/// The jobs this consumer heard were cancelled, whose queued batches it skips. Bounded: an id is kept for
/// <see cref="Expiry"/> after it was last announced (producers announce their recent cancels again every few seconds),
/// and at most <see cref="Capacity"/> ids are kept, the one announced longest ago going first. Forgetting an id costs
/// only work: a batch of a forgotten job runs, and its producer drops the result.
/// </summary>
internal sealed class CancelledJobs(TimeProvider time, int capacity = CancelledJobs.DefaultCapacity, TimeSpan? expiry = null)
{
    public const int DefaultCapacity = 10_000;

    public static readonly TimeSpan DefaultExpiry = TimeSpan.FromMinutes(30);

    private readonly Dictionary<Guid, DateTimeOffset> _expires = [];
    private readonly Dictionary<Guid, List<CancellationTokenSource>> _running = [];
    private readonly Lock _lock = new();

    public int Capacity => capacity;

    public TimeSpan Expiry { get; } = expiry ?? DefaultExpiry;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _expires.Count;
            }
        }
    }

    /// <summary>Remembers (or renews) <paramref name="jobId"/>; true when it was not known.</summary>
    public bool Add(Guid jobId)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var known = _expires.TryGetValue(jobId, out var expires) && expires > now;
            if (!_expires.ContainsKey(jobId) && _expires.Count >= capacity)
            {
                MakeRoom(now);
            }
            _expires[jobId] = now + Expiry;
            if (_running.Remove(jobId, out var running))
            {
                running.ForEach(r => r.Cancel());
            }
            return !known;
        }
    }

    /// <summary>Cancels <paramref name="batch"/> when <paramref name="jobId"/> is cancelled (at once when it is
    /// already), until the returned registration is disposed: a batch waiting for its turn, or running, stops.</summary>
    public IDisposable Watch(Guid jobId, CancellationTokenSource batch)
    {
        if (Contains(jobId))
        {
            batch.Cancel();
            return Registration.None;
        }
        lock (_lock)
        {
            if (!_running.TryGetValue(jobId, out var running))
            {
                _running[jobId] = running = [];
            }
            running.Add(batch);
        }
        return new Registration(this, jobId, batch);
    }

    private void Unwatch(Guid jobId, CancellationTokenSource batch)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(jobId, out var running) && running.Remove(batch) && running.Count == 0)
            {
                _running.Remove(jobId);
            }
        }
    }

    private sealed class Registration(CancelledJobs? jobs, Guid jobId, CancellationTokenSource? batch) : IDisposable
    {
        public static readonly Registration None = new(null, Guid.Empty, null);

        public void Dispose() => jobs?.Unwatch(jobId, batch!);
    }

    public bool Contains(Guid jobId)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_expires.TryGetValue(jobId, out var expires))
            {
                return false;
            }
            if (expires > now)
            {
                return true;
            }
            _expires.Remove(jobId);
            return false;
        }
    }

    /// <summary>Drops the expired ids, or when none is, the one that expires first.</summary>
    private void MakeRoom(DateTimeOffset now)
    {
        var expired = _expires.Where(e => e.Value <= now).Select(e => e.Key).ToList();
        if (expired.Count > 0)
        {
            expired.ForEach(id => _expires.Remove(id));
            return;
        }
        _expires.Remove(_expires.MinBy(e => e.Value).Key);
    }
}
