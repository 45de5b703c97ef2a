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

    /// <summary>Every job ends by stopping this wait: a watch service finishing hundreds of small files a second would
    /// otherwise throw and unwind an exception for each (a few percent of its CPU), so the cancelled wait does not throw.</summary>
    private async Task WatchAsync(string path, TimeProvider time)
    {
        while (true)
        {
            await Task.Delay(Interval, time, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_stop.IsCancellationRequested)
            {
                return;     // stopped: the job is over
            }
            if (IsGone(path))
            {
                WasRemoved = true;
                await _removed.CancelAsync();
                return;
            }
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
