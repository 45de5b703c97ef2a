namespace Streaming.Producer.Job.Core;

/// <summary>
/// A job's one window: batch <c>s</c> may be published once <c>s</c> is less than <see cref="Size"/> ahead of the next
/// batch to write and, when the files of a service share a window (<see cref="SharedWindow"/>), once this job holds one
/// batch of it; and, with a <see cref="LeadLimit"/>, once <c>s</c> is also within the batches it allows. Each batch
/// written gives its share back. Thread-safe: the publisher waits here while the collector advances it.
/// </summary>
internal sealed class JobWindow : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SharedWindow.Lease? _share;
    private readonly LeadLimit? _lead;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextToWrite;

    /// <param name="size">Batches this job may run ahead on its own (a shared window's capacity replaces it).</param>
    /// <param name="nextToWrite">The first batch not yet written (a checkpoint's, or 0).</param>
    /// <param name="shared">The service's window, when the job shares one with other files.</param>
    /// <param name="lead">The most work, in time, the job should have queued ahead of a newcomer (none: the size alone).</param>
    public JobWindow(int size, long nextToWrite, SharedWindow? shared = null, TimeSpan? lead = null, TimeProvider? time = null)
    {
        Size = shared?.Capacity ?? size;
        ArgumentOutOfRangeException.ThrowIfLessThan(Size, 1);
        _nextToWrite = nextToWrite;
        _share = shared?.Join();
        _lead = lead is { } limit ? new LeadLimit(Size, limit, time ?? TimeProvider.System) : null;
    }

    /// <summary>How many batches may be out at once: the ledger, and the results held for reordering, are bounded by it.</summary>
    public int Size { get; }

    /// <summary>How many batches may be published ahead now: the size, or less under a lead limit. Results are still
    /// accepted across the whole size (a batch published before the limit fell stays in the window).</summary>
    public int Allowed => _lead?.Batches ?? Size;

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
                if (sequence < _nextToWrite + Allowed)
                {
                    _lead?.Published(sequence, (int)(sequence - _nextToWrite));
                    return;
                }
                advanced = _advanced.Task;
            }
            await advanced.WaitAsync(cancellationToken);
        }
    }

    /// <summary>A batch was written: <paramref name="nextToWrite"/> is the first one not written; its share goes back.</summary>
    /// <param name="publishedAt">When the batch was published (<see cref="TimeProvider.GetTimestamp"/>), for the lead limit.</param>
    public void Advance(long nextToWrite, long? publishedAt = null)
    {
        TaskCompletionSource advanced;
        lock (_lock)
        {
            if (publishedAt is { } published)
            {
                _lead?.Written(nextToWrite - 1, published);
            }
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
