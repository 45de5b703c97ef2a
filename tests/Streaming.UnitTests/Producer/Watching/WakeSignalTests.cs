using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

public sealed class WakeSignalTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WaitAsync_SetBefore_ReturnsAtOnceAndConsumesTheSignal()
    {
        var wake = new WakeSignal(TimeProvider.System);
        wake.Set();
        wake.Set();

        Assert.True(await wake.WaitAsync(s_bound, CancellationToken.None).WaitAsync(s_bound));
        Assert.False(await wake.WaitAsync(TimeSpan.Zero, CancellationToken.None).WaitAsync(s_bound));
    }

    [Fact]
    public async Task WaitAsync_SetWhileWaiting_Wakes()
    {
        var wake = new WakeSignal(TimeProvider.System);
        var waiting = wake.WaitAsync(s_bound, CancellationToken.None);

        wake.Set();

        Assert.True(await waiting.WaitAsync(s_bound));
    }

    [Fact]
    public async Task WaitAsync_NothingSet_FalseAfterTheTimeout()
    {
        var wake = new WakeSignal(TimeProvider.System);

        Assert.False(await wake.WaitAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None).WaitAsync(s_bound));
    }

    [Fact]
    public async Task WaitAsync_Cancelled_Throws()
    {
        var wake = new WakeSignal(TimeProvider.System);
        using var cancel = new CancellationTokenSource();
        var waiting = wake.WaitAsync(s_bound, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_bound));
    }
}
