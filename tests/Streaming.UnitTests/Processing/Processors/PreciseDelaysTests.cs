using System.Diagnostics;
using Streaming.Consumer.Processors;

namespace Streaming.UnitTests.Processing.Processors;

public sealed class PreciseDelaysTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task DelayAsync_ManyAtOnce_NoneEndsEarly()
    {
        // Arrange
        var delay = TimeSpan.FromMilliseconds(20);

        // Act
        var elapsed = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            var started = Stopwatch.GetTimestamp();
            await PreciseDelays.DelayAsync(delay, CancellationToken.None);
            return Stopwatch.GetElapsedTime(started);
        })).WaitAsync(s_bound);

        // Assert
        Assert.All(elapsed, e => Assert.True(e >= delay, $"ended after {e.TotalMilliseconds} ms"));
    }

    [Fact]
    public async Task DelayAsync_ShorterWaitAddedLater_EndsFirst()
    {
        // Arrange
        var longer = PreciseDelays.DelayAsync(TimeSpan.FromSeconds(2), CancellationToken.None);

        // Act
        var shorter = PreciseDelays.DelayAsync(TimeSpan.FromMilliseconds(10), CancellationToken.None);
        var first = await Task.WhenAny(longer, shorter).WaitAsync(s_bound);

        // Assert
        Assert.Same(shorter, first);
        await longer.WaitAsync(s_bound);
    }

    [Fact]
    public async Task DelayAsync_CancelledWhileWaiting_ThrowsPromptly()
    {
        // Arrange
        using var cancellation = new CancellationTokenSource();
        var waiting = PreciseDelays.DelayAsync(TimeSpan.FromMinutes(1), cancellation.Token);

        // Act
        await cancellation.CancelAsync();

        // Assert: bounded far below the minute.
        var exception = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_bound));
        Assert.Equal(cancellation.Token, exception.CancellationToken);
    }
}
