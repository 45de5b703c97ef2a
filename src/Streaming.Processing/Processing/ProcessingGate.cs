namespace Streaming.Consumer.Processing;

/// <summary>
/// Lets batches be processed side by side (shared), or one quarantined batch alone (exclusive), so that a crash
/// during exclusive work can be blamed on exactly that batch.
/// </summary>
internal sealed class ProcessingGate : IDisposable
{
    private readonly SemaphoreSlim _turnstile = new(1, 1);
    private readonly Lock _lock = new();
    private int _active;
    private TaskCompletionSource? _drained;

    public async Task EnterSharedAsync(CancellationToken cancellationToken)
    {
        await _turnstile.WaitAsync(cancellationToken);
        lock (_lock)
        {
            _active++;
        }
        _turnstile.Release();
    }

    public void ExitShared()
    {
        lock (_lock)
        {
            if (--_active == 0)
            {
                _drained?.TrySetResult();
            }
        }
    }

    /// <summary>Waits until no shared work runs and holds back new shared work until <see cref="ExitExclusive"/>.</summary>
    public async Task EnterExclusiveAsync(CancellationToken cancellationToken)
    {
        await _turnstile.WaitAsync(cancellationToken);
        Task drained;
        lock (_lock)
        {
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_active == 0)
            {
                _drained.TrySetResult();
            }
            drained = _drained.Task;
        }
        try
        {
            await drained.WaitAsync(cancellationToken);
        }
        catch
        {
            _turnstile.Release();
            throw;
        }
    }

    public void ExitExclusive() => _turnstile.Release();

    public void Dispose() => _turnstile.Dispose();
}
