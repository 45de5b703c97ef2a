using Streaming.Consumer.Processors;
using static Streaming.UnitTests.Processing.Processors.ProcessorRun;

namespace Streaming.UnitTests.Processing.Processors;

public sealed class DelayProcessorTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ProcessAsync_BeforeDelayElapses_DoesNotComplete()
    {
        // Arrange
        var time = new TimerCountingTimeProvider();
        var processor = new DelayProcessor(TimeSpan.FromSeconds(1), time);
        var line = Hex("61 00 ff");

        // Act
        var task = OutputAsync(processor, line);
        time.Advance(TimeSpan.FromMilliseconds(999));

        // Assert
        Assert.False(task.IsCompleted);
        Assert.Equal(1, time.TimersCreated);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(line, await task.WaitAsync(s_bound));
    }

    [Fact]
    public async Task ProcessAsync_AfterDelay_WritesLineUnchanged()
    {
        // Arrange
        var processor = Resolve("delay:1")();
        var line = Hex("61 00 62 ff fe");

        // Act
        var output = await OutputAsync(processor, line).WaitAsync(s_bound);

        // Assert
        Assert.Equal(line, output);
    }

    [Fact]
    public async Task ProcessAsync_CancelledWhileWaiting_ThrowsPromptly()
    {
        // Arrange
        var processor = Resolve("delay:60000")();
        using var cancellation = new CancellationTokenSource();
        var task = OutputAsync(processor, [1, 2, 3], cancellation.Token);

        // Act
        await cancellation.CancelAsync();

        // Assert: bounded far below the 60 s delay.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(s_bound));
    }

    [Fact]
    public async Task ProcessAsync_AlreadyCancelled_ThrowsWithoutWriting()
    {
        // Arrange
        var time = new TimerCountingTimeProvider();
        var processor = new DelayProcessor(TimeSpan.FromSeconds(1), time);
        var output = new ExactSizeBufferWriter();

        // Act
        var exception = await Record.ExceptionAsync(
            async () => await processor.ProcessAsync(new byte[] { 1 }, output, new CancellationToken(canceled: true)));

        // Assert
        Assert.IsAssignableFrom<OperationCanceledException>(exception);
        Assert.Empty(output.WrittenBytes);
        Assert.Equal(0, time.TimersCreated);
    }

    [Fact]
    public async Task ProcessAsync_ZeroDelay_CompletesSynchronouslyAsIdentity()
    {
        // Arrange
        var processor = Resolve("delay:0")();
        var line = Hex("00 ff 20");
        var output = new ExactSizeBufferWriter();

        // Act
        var pending = processor.ProcessAsync(line, output, CancellationToken.None);

        // Assert
        Assert.True(pending.IsCompletedSuccessfully);
        await pending;
        Assert.Equal(line, output.WrittenBytes);
    }

    [Fact]
    public async Task ProcessAsync_ManyConcurrentWaits_AllCompleteWhenTimeComes()
    {
        // Arrange: one instance per slot, all waiting at once on timers rather than threads.
        var time = new TimerCountingTimeProvider();
        var lines = Enumerable.Range(0, 200).Select(i => new[] { (byte)i }).ToArray();
        var tasks = lines.Select(line => OutputAsync(new DelayProcessor(TimeSpan.FromSeconds(5), time), line)).ToArray();
        Assert.Equal(lines.Length, time.TimersCreated);
        Assert.DoesNotContain(tasks, task => task.IsCompleted);

        // Act
        time.Advance(TimeSpan.FromSeconds(5));
        var outputs = await Task.WhenAll(tasks).WaitAsync(s_bound);

        // Assert
        Assert.Equal(lines, outputs);
    }
}
