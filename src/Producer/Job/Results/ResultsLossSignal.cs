namespace Streaming.Producer.Job.Results;

/// <summary>
/// "The results of the batches still out may be lost" (the results queue was declared again, or given up for a fresh
/// one), heard directly by the retransmitter of every job running in the process: it publishes them again at its next
/// tick. A job listens from when it starts until it ends.
/// </summary>
internal sealed class ResultsLossSignal
{
    private readonly Lock _lock = new();
    private readonly List<Action> _listeners = [];

    /// <summary>Calls <paramref name="onLost"/> at every loss until the returned listener is disposed.</summary>
    public IDisposable Listen(Action onLost)
    {
        lock (_lock)
        {
            _listeners.Add(onLost);
        }
        return new Listener(this, onLost);
    }

    /// <summary>Tells every listener that the results of its batches still out may be lost.</summary>
    public void Raise()
    {
        Action[] listeners;
        lock (_lock)
        {
            listeners = [.. _listeners];
        }
        foreach (var onLost in listeners)
        {
            onLost();
        }
    }

    private sealed class Listener(ResultsLossSignal signal, Action onLost) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (signal._lock)
                {
                    signal._listeners.Remove(onLost);
                }
            }
        }
    }
}
