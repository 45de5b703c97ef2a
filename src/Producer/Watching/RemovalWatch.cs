namespace Streaming.Producer.Watching;

/// <summary>
/// Looks at a file in processing/ every <see cref="Interval"/> and cancels <see cref="Removed"/> when it is gone: a file
/// removed from processing/ is cancelled (its job reads an open descriptor, so nothing else would notice). Disposing
/// stops looking and waits for the look under way.
/// </summary>
internal sealed class RemovalWatch : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _removed;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    /// <param name="stopping">Linked into <see cref="Removed"/>: the service is stopping.</param>
    public RemovalWatch(string path, TimeProvider time, CancellationToken stopping)
    {
        _removed = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _watching = WatchAsync(path, time);
    }

    /// <summary>Cancelled when the file is gone from its path, or the service stops.</summary>
    public CancellationToken Removed => _removed.Token;

    /// <summary>True once the file was seen gone.</summary>
    public bool WasRemoved { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
        _removed.Dispose();
    }

    private async Task WatchAsync(string path, TimeProvider time)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Interval, time, _stop.Token);
                if (IsGone(path))
                {
                    WasRemoved = true;
                    await _removed.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped: the job is over.
        }
    }

    public static bool IsGone(string path)
    {
        try
        {
            return FileProbe.Probe(path).Kind == EntryKind.Missing;
        }
        catch (IOException)
        {
            return false;       // cannot tell now: the next look will
        }
    }
}
