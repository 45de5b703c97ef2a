using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Input;

namespace Streaming.UnitTests.Producer.Job.Input;

/// <summary>
/// Standard input's rule by the clock: a batch goes out once it has waited its wait since its first line for the next
/// one, full or not (a writer that pauses or trickles is not held back for a batch that may fill minutes later); what
/// the writer writes after the cut starts the next batch, whole. A file's cuts keep to the lines and bytes alone.
/// </summary>
public sealed class BatchWaitTests : IDisposable
{
    private static readonly CutSettings s_settings = new(BatchLines: 1000, BatchBytes: 64 * 1024, MaxLineBytes: 1024);
    private static readonly TimeSpan s_wait = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_done = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly WrittenByTheTest _input = new();
    private readonly MessageWriter _writer = new(1024);

    [Fact]
    public async Task CutAsync_WriterPausesAfterTwoLines_TheBatchGoesOutOnceItsWaitHasPassed()
    {
        var cutter = Cutter(s_wait);
        _input.Write("one\ntwo\n");

        var cut = cutter.CutAsync(_writer, CancellationToken.None).AsTask();
        _time.Advance(s_wait - TimeSpan.FromMilliseconds(1));
        await Task.Delay(s_settle);
        Assert.False(cut.IsCompleted, "the batch went out before its wait had passed");
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(["one", "two"], Lines(await cut.WaitAsync(s_done)));
    }

    /// <summary>The wait counts from the batch's first line: a steady trickle, one line every 60 ms, still gets its
    /// batch out 100 ms after its first line, not 100 ms after its latest.</summary>
    [Fact]
    public async Task CutAsync_LinesTrickleInFasterThanTheWait_TheWaitCountsFromTheFirstLine()
    {
        var cutter = Cutter(s_wait);
        _input.Write("first\n");
        var cut = cutter.CutAsync(_writer, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(60));
        _input.Write("second\n");
        await Task.Delay(s_settle);
        Assert.False(cut.IsCompleted, "the batch went out before its wait had passed");

        _time.Advance(TimeSpan.FromMilliseconds(40));

        Assert.Equal(["first", "second"], Lines(await cut.WaitAsync(s_done)));
    }

    [Fact]
    public async Task CutAsync_LineHalfWrittenWhenTheWaitEnds_TheWholeLinesGoAndTheRestStartsTheNextBatch()
    {
        var cutter = Cutter(s_wait);
        _input.Write("a\npar");
        var first = cutter.CutAsync(_writer, CancellationToken.None).AsTask();
        _time.Advance(s_wait);
        Assert.Equal(["a"], Lines(await first.WaitAsync(s_done)));

        // The read under way when the batch went out takes these bytes: they must land after "par", not over it.
        _input.Write("tial\nb\n");
        _input.Complete();

        var second = await cutter.CutAsync(_writer, CancellationToken.None).AsTask().WaitAsync(s_done);
        Assert.Equal(["partial", "b"], Lines(second));
        Assert.Equal(1, second!.Sequence);
        Assert.Equal(2, second.FirstLine);
        Assert.Null(await cutter.CutAsync(_writer, CancellationToken.None).AsTask().WaitAsync(s_done));
    }

    /// <summary>An empty batch has no wait: it waits for its first line however long the writer pauses.</summary>
    [Fact]
    public async Task CutAsync_NothingWrittenYet_WaitsForTheFirstLineWhateverTheClock()
    {
        var cutter = Cutter(s_wait);

        var cut = cutter.CutAsync(_writer, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromHours(1));
        await Task.Delay(s_settle);
        Assert.False(cut.IsCompleted, "an empty batch went out");
        _input.Write("late\n");
        // Its wait starts once the cutter has taken the line, which it does on another thread: the clock goes on in
        // steps until the batch is out (it never is without the rule by the clock).
        using var deadline = new CancellationTokenSource(s_done);
        while (!cut.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(10, deadline.Token);
        }

        Assert.Equal(["late"], Lines(await cut));
    }

    /// <summary>A file's batches are cut again from a checkpoint after a crash, so they keep to lines and bytes alone.</summary>
    [Fact]
    public async Task CutAsync_NoWait_TheBatchWaitsForItsLinesOrTheEndWhateverTheClock()
    {
        var cutter = Cutter(batchWait: null);
        _input.Write("one\ntwo\n");

        var cut = cutter.CutAsync(_writer, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromHours(1));
        await Task.Delay(s_settle);
        Assert.False(cut.IsCompleted, "a batch without a wait went out by the clock");
        _input.Write("three\n");
        _input.Complete();

        Assert.Equal(["one", "two", "three"], Lines(await cut.WaitAsync(s_done)));
    }

    public void Dispose()
    {
        _writer.Dispose();
        _input.Dispose();
    }

    private BatchCutter Cutter(TimeSpan? batchWait) =>
        new(_input, s_settings, CutterHarness.JobId, 0, 0, 1, batchWait: batchWait, time: _time);

    private static string[] Lines(CutBatch? batch)
    {
        Assert.NotNull(batch);
        var decoded = LineBatch.Decode(batch.Body.ToArray(), s_settings.MaxLineBytes);
        return [.. Enumerable.Range(0, decoded.Lines.Count).Select(i => Encoding.ASCII.GetString(decoded.LineBytes(i).Span))];
    }

    /// <summary>A pipe the test writes to: a read waits for the next write, and gets 0 once the test completes it.</summary>
    private sealed class WrittenByTheTest : PipeLikeStream
    {
        private readonly Channel<byte[]> _writes = Channel.CreateUnbounded<byte[]>();

        public void Write(string text) => Assert.True(_writes.Writer.TryWrite(Encoding.ASCII.GetBytes(text)));

        public void Complete() => _writes.Writer.Complete();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!await _writes.Reader.WaitToReadAsync(cancellationToken))
            {
                return 0;
            }
            var chunk = await _writes.Reader.ReadAsync(cancellationToken);
            Assert.True(chunk.Length <= buffer.Length, "a test write larger than the read");
            chunk.CopyTo(buffer);
            return chunk.Length;
        }
    }
}
