using Streaming.Producer.Job.Core;

namespace Streaming.UnitTests.Producer.Job.Core;

public sealed class SharedWindowTests
{
    private static readonly TimeSpan s_soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AcquireAsync_UpToCapacityAcrossFiles_GrantedAtOnceThenWaits()
    {
        var window = new SharedWindow(3);
        using var a = window.Join();
        using var b = window.Join();

        await a.AcquireAsync(CancellationToken.None);
        await a.AcquireAsync(CancellationToken.None);
        await b.AcquireAsync(CancellationToken.None);
        var fourth = b.AcquireAsync(CancellationToken.None).AsTask();

        Assert.Equal(3, window.InFlight);
        Assert.False(fourth.IsCompleted);
        a.Release();
        await fourth.WaitAsync(s_soon);
        Assert.Equal(3, window.InFlight);
        Assert.Equal(1, a.Held);
        Assert.Equal(2, b.Held);
    }

    [Fact]
    public async Task Release_BigFileHoldsEverythingAndBothWait_FreedBatchGoesToTheFileHoldingFewest()
    {
        var window = new SharedWindow(4);
        using var big = window.Join();
        for (var i = 0; i < 4; i++)
        {
            await big.AcquireAsync(CancellationToken.None);
        }
        var bigWaits = big.AcquireAsync(CancellationToken.None).AsTask();
        using var small = window.Join();
        var smallWaits = small.AcquireAsync(CancellationToken.None).AsTask();

        big.Release();

        await smallWaits.WaitAsync(s_soon);
        Assert.False(bigWaits.IsCompleted);
        Assert.Equal(1, small.Held);
        small.Release();
        await bigWaits.WaitAsync(s_soon);
        Assert.Equal(4, big.Held);
    }

    [Fact]
    public async Task Release_TwoFilesAlwaysAsking_TheyConvergeToEqualShares()
    {
        var window = new SharedWindow(8);
        using var first = window.Join();
        using var second = window.Join();
        for (var i = 0; i < 8; i++)
        {
            await first.AcquireAsync(CancellationToken.None);
        }
        var firstWaits = first.AcquireAsync(CancellationToken.None).AsTask();
        var secondWaits = second.AcquireAsync(CancellationToken.None).AsTask();

        for (var round = 0; round < 16; round++)
        {
            (first.Held >= second.Held ? first : second).Release();     // the oldest batch in flight is written
            var granted = await Task.WhenAny(firstWaits, secondWaits).WaitAsync(s_soon);
            if (granted == firstWaits)
            {
                firstWaits = first.AcquireAsync(CancellationToken.None).AsTask();
            }
            else
            {
                secondWaits = second.AcquireAsync(CancellationToken.None).AsTask();
            }
        }

        Assert.Equal(4, first.Held);
        Assert.Equal(4, second.Held);
        Assert.Equal(8, window.InFlight);
    }

    [Fact]
    public async Task Dispose_FileEnds_ItsBatchesGoToTheWaiters()
    {
        var window = new SharedWindow(2);
        var ending = window.Join();
        await ending.AcquireAsync(CancellationToken.None);
        await ending.AcquireAsync(CancellationToken.None);
        using var other = window.Join();
        var waits = other.AcquireAsync(CancellationToken.None).AsTask();

        ending.Dispose();

        await waits.WaitAsync(s_soon);
        Assert.Equal(1, window.InFlight);
    }

    [Fact]
    public async Task AcquireAsync_Cancelled_StopsWaitingAndTakesNothing()
    {
        var window = new SharedWindow(1);
        using var holder = window.Join();
        await holder.AcquireAsync(CancellationToken.None);
        using var cancelled = window.Join();
        using var cts = new CancellationTokenSource();
        var waits = cancelled.AcquireAsync(cts.Token).AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waits);
        holder.Release();
        Assert.Equal(0, window.InFlight);
        Assert.Equal(0, cancelled.Held);
    }

    [Fact]
    public void Release_NothingHeld_ChangesNothing()
    {
        var window = new SharedWindow(2);
        using var lease = window.Join();

        lease.Release();

        Assert.Equal(0, window.InFlight);
    }
}
