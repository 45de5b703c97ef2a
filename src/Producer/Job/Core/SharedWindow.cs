namespace Streaming.Producer.Job.Core;

/// <summary>
/// One budget of batches in flight (cut and published, not yet written by the collector) shared by every file a
/// service processes: the service's memory bound, whatever the number or size of the files. Each file takes a
/// <see cref="Lease"/>; when a batch is freed it goes to the waiting file that holds the fewest (the earliest waiter
/// among equals), so a small file dropped beside a huge one gets its batches through at once and files in flight
/// converge to equal shares.
/// </summary>
internal sealed class SharedWindow
{
    private readonly Lock _lock = new();

    /// <summary>At most one waiter per lease, so bounded by the number of files in flight.</summary>
    private readonly List<Lease> _waiting = [];
    private int _available;
    private long _arrivals;

    public SharedWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _available = capacity;
    }

    public int Capacity { get; }

    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return Capacity - _available;
            }
        }
    }

    /// <summary>A file's share of the window; disposing it returns whatever the file still holds.</summary>
    public Lease Join() => new(this);

    private void GrantWaiting()
    {
        while (_available > 0 && _waiting.Count > 0)
        {
            var next = _waiting[0];
            foreach (var lease in _waiting)
            {
                if (lease.Held < next.Held || (lease.Held == next.Held && lease.Arrival < next.Arrival))
                {
                    next = lease;
                }
            }
            _waiting.Remove(next);
            _available--;
            next.Grant();
        }
    }

    internal sealed class Lease(SharedWindow window) : IDisposable
    {
        private TaskCompletionSource? _pending;
        private bool _disposed;

        /// <summary>Batches this file holds now.</summary>
        public int Held { get; private set; }

        internal long Arrival { get; private set; }

        /// <summary>Waits for one batch of the window.</summary>
        public async ValueTask AcquireAsync(CancellationToken cancellationToken)
        {
            TaskCompletionSource pending;
            lock (window._lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_pending is not null)
                {
                    throw new InvalidOperationException("one acquire at a time per lease");
                }
                if (window._available > 0 && window._waiting.Count == 0)
                {
                    window._available--;
                    Held++;
                    return;
                }
                pending = _pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Arrival = window._arrivals++;
                window._waiting.Add(this);
                window.GrantWaiting();
            }
            try
            {
                await pending.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                lock (window._lock)
                {
                    if (ReferenceEquals(_pending, pending))
                    {
                        window._waiting.Remove(this);
                        _pending = null;
                    }
                }
                throw;
            }
        }

        /// <summary>Gives back one batch (it was written).</summary>
        public void Release()
        {
            lock (window._lock)
            {
                if (_disposed || Held == 0)
                {
                    return;
                }
                Held--;
                window._available++;
                window.GrantWaiting();
            }
        }

        public void Dispose()
        {
            lock (window._lock)
            {
                if (_disposed)
                {
                    return;
                }
                _disposed = true;
                if (_pending is not null)
                {
                    window._waiting.Remove(this);
                    _pending.TrySetCanceled();
                    _pending = null;
                }
                window._available += Held;
                Held = 0;
                window.GrantWaiting();
            }
        }

        /// <summary>Called under the window's lock.</summary>
        internal void Grant()
        {
            Held++;
            var pending = _pending;
            _pending = null;
            pending?.TrySetResult();
        }
    }
}
