using System.Diagnostics;
using Streaming.Consumer.Processors;

namespace Streaming.UnitTests.Processing.Processors;

public sealed class PreciseDelaysTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_hangBound = TimeSpan.FromSeconds(60);

    /// <summary>The bound is a hang's, not a speed's: in ci35a, beside three broker containers, the compose build and both
    /// test stages on 2 cores, these 20 ms waits had not all ended after 10 s. A timeout now says how many had.</summary>
    [Fact]
    public async Task DelayAsync_ManyAtOnce_NoneEndsEarly()
    {
        // Arrange
        var delay = TimeSpan.FromMilliseconds(20);

        // Act
        var waits = Enumerable.Range(0, 200).Select(async _ =>
        {
            var started = Stopwatch.GetTimestamp();
            await PreciseDelays.DelayAsync(delay, CancellationToken.None);
            return Stopwatch.GetElapsedTime(started);
        }).ToList();
        TimeSpan[] elapsed;
        try
        {
            elapsed = await Task.WhenAll(waits).WaitAsync(s_hangBound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{waits.Count(w => w.IsCompleted)} of {waits.Count} waits of {delay.TotalMilliseconds} ms ended within {s_hangBound.TotalSeconds} s");
            throw;
        }

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
