using System.Threading.Channels;

namespace Streaming.Producer.Watching;

/// <summary>
/// Wakes the watch loop: an auto-reset signal that any thread may set (a file-system event, a file finished) and the
/// loop awaits with a bound. Signals while the loop is busy collapse into one.
/// </summary>
internal sealed class WakeSignal(TimeProvider time)
{
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Set() => _signals.Writer.TryWrite(true);

    /// <summary>True when set (the signal is consumed), false when <paramref name="timeout"/> passed first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_signals.Reader.TryRead(out _))
        {
            return true;
        }
        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }
        using var timer = new CancellationTokenSource(timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await _signals.Reader.ReadAsync(either.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
