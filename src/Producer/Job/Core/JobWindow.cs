namespace Streaming.Producer.Job.Core;

/// <summary>
/// A job's one window: batch <c>s</c> may be published once <c>s</c> is less than <see cref="Size"/> ahead of the next
/// batch to write and, when the files of a service share a window (<see cref="SharedWindow"/>), once this job holds one
/// batch of it. Each batch written gives its share back. Thread-safe: the publisher waits here while the collector
/// advances it.
/// </summary>
internal sealed class JobWindow : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SharedWindow.Lease? _share;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextToWrite;

    /// <param name="size">Batches this job may run ahead on its own (a shared window's capacity replaces it).</param>
    /// <param name="nextToWrite">The first batch not yet written (a checkpoint's, or 0).</param>
    /// <param name="shared">The service's window, when the job shares one with other files.</param>
    public JobWindow(int size, long nextToWrite, SharedWindow? shared = null)
    {
        Size = shared?.Capacity ?? size;
        ArgumentOutOfRangeException.ThrowIfLessThan(Size, 1);
        _nextToWrite = nextToWrite;
        _share = shared?.Join();
    }

    /// <summary>How many batches may be out at once: the ledger, and the results held for reordering, are bounded by it.</summary>
    public int Size { get; }

    public bool Contains(long sequence)
    {
        lock (_lock)
        {
            return sequence < _nextToWrite + Size;
        }
    }

    /// <summary>Takes one batch of the shared window (none to take without one), before the next batch is cut.</summary>
    public ValueTask TakeShareAsync(CancellationToken cancellationToken) =>
        _share?.AcquireAsync(cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>Gives back the share taken for a batch that was not cut (the input has ended).</summary>
    public void ReturnShare() => _share?.Release();

    /// <summary>Waits until batch <paramref name="sequence"/> is inside the window.</summary>
    public async Task WaitForRoomAsync(long sequence, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task advanced;
            lock (_lock)
            {
                if (sequence < _nextToWrite + Size)
                {
                    return;
                }
                advanced = _advanced.Task;
            }
            await advanced.WaitAsync(cancellationToken);
        }
    }

    /// <summary>A batch was written: <paramref name="nextToWrite"/> is the first one not written; its share goes back.</summary>
    public void Advance(long nextToWrite)
    {
        TaskCompletionSource advanced;
        lock (_lock)
        {
            _nextToWrite = nextToWrite;
            advanced = _advanced;
            _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        advanced.TrySetResult();
        _share?.Release();
    }

    /// <summary>Returns whatever the job still holds of the shared window.</summary>
    public void Dispose() => _share?.Dispose();
}
