using Microsoft.Extensions.Time.Testing;
using Streaming.Producer.Job.Core;

namespace Streaming.UnitTests.Producer.Job.Core;

/// <summary>The one window of a job: its own size, or the service's shared window, never both.</summary>
public sealed class JobWindowTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WaitForRoomAsync_LastBatchInsideTheWindow_ReturnsAtOnce()
    {
        using var window = new JobWindow(size: 3, nextToWrite: 5);

        await window.WaitForRoomAsync(7, CancellationToken.None).WaitAsync(s_timeout);

        Assert.True(window.Contains(7));
        Assert.False(window.Contains(8));
    }

    [Fact]
    public async Task WaitForRoomAsync_FirstBatchPastTheWindow_WaitsUntilTheNextBatchIsWritten()
    {
        using var window = new JobWindow(size: 3, nextToWrite: 5);

        var waiting = window.WaitForRoomAsync(8, CancellationToken.None);
        window.Advance(5);      // nothing new written: still waiting

        Assert.False(waiting.IsCompleted);
        window.Advance(6);
        await waiting.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task WaitForRoomAsync_Cancelled_Throws()
    {
        using var window = new JobWindow(size: 1, nextToWrite: 0);
        using var cancel = new CancellationTokenSource();

        var waiting = window.WaitForRoomAsync(1, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_timeout));
    }

    [Fact]
    public void Size_SharedWindow_IsTheSharedCapacityWhateverTheJobsOwnSize()
    {
        var shared = new SharedWindow(4);
        using var window = new JobWindow(size: 32, nextToWrite: 0, shared);

        Assert.Equal(4, window.Size);
        Assert.False(window.Contains(4));
    }

    [Fact]
    public async Task TakeShareAsync_SharedWindow_EachBatchWrittenGivesItsShareBack()
    {
        var shared = new SharedWindow(2);
        using var window = new JobWindow(size: 32, nextToWrite: 0, shared);
        await window.TakeShareAsync(CancellationToken.None).AsTask().WaitAsync(s_timeout);
        await window.TakeShareAsync(CancellationToken.None).AsTask().WaitAsync(s_timeout);

        var third = window.TakeShareAsync(CancellationToken.None).AsTask();

        Assert.False(third.IsCompleted);
        Assert.Equal(2, shared.InFlight);
        window.Advance(1);
        await third.WaitAsync(s_timeout);
        Assert.Equal(2, shared.InFlight);
    }

    [Fact]
    public async Task Dispose_SharedWindow_ReturnsWhatTheJobHeld()
    {
        var shared = new SharedWindow(2);
        var window = new JobWindow(size: 32, nextToWrite: 0, shared);
        await window.TakeShareAsync(CancellationToken.None).AsTask().WaitAsync(s_timeout);
        await window.TakeShareAsync(CancellationToken.None).AsTask().WaitAsync(s_timeout);

        window.Dispose();

        Assert.Equal(0, shared.InFlight);
    }

    [Fact]
    public async Task WaitForRoomAsync_SlowBatchesUnderALead_WaitsWithinTheFewerBatchesTheLeadAllows()
    {
        var time = new FakeTimeProvider();
        using var window = new JobWindow(size: 32, nextToWrite: 0, lead: TimeSpan.FromMilliseconds(500), time: time);
        // 80 batches written at 20 per second: half a second of them is 10.
        for (var written = 1; written <= 80; written++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            window.Advance(written, publishedAt: time.GetTimestamp() - time.TimestampFrequency / 10);
        }

        await window.WaitForRoomAsync(89, CancellationToken.None).WaitAsync(s_timeout);
        var waiting = window.WaitForRoomAsync(90, CancellationToken.None);

        Assert.Equal(10, window.Allowed);
        Assert.False(waiting.IsCompleted);
        Assert.True(window.Contains(111)); // a result of a batch already out is still taken
        window.Advance(81, publishedAt: time.GetTimestamp());
        await waiting.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task WaitForRoomAsync_NoLead_TheSizeAlone()
    {
        using var window = new JobWindow(size: 32, nextToWrite: 0);
        for (var written = 1; written <= 80; written++)
        {
            window.Advance(written, publishedAt: 0);
        }

        await window.WaitForRoomAsync(111, CancellationToken.None).WaitAsync(s_timeout);

        Assert.Equal(32, window.Allowed);
    }
}
