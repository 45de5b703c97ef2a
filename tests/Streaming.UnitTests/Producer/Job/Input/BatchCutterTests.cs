using System.Text;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Input;

namespace Streaming.UnitTests.Producer.Job.Input;

public sealed class BatchCutterTests
{
    private static readonly CutSettings s_small = new(BatchLines: 3, BatchBytes: 64, MaxLineBytes: 32);

    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    public static TheoryData<string, string[]> Splits => new()
    {
        { "", [] },
        { "a", ["a"] },
        { "a\n", ["a"] },
        { "a\nb", ["a", "b"] },
        { "a\r\nb\r\n", ["a", "b"] },
        { "a\rb\n", ["a\rb"] },
        { "a\r\r\n", ["a\r"] },
        { "\n\n\n", ["", "", ""] },
        { "\r", [""] },
        { "\r\n", [""] },
        { "x\n\ny\n", ["x", "", "y"] },
        { "nul\0byte\n", ["nul\0byte"] },
        { "\xff\xfe bad utf8 \xc0\xaf\n", ["\xff\xfe bad utf8 \xc0\xaf"] },
        { "end\r", ["end"] },
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public async Task CutAsync_EdgeCaseLines_SplitsOnNewLineAndDropsOneCarriageReturn(string input, string[] expected)
    {
        var lines = await CutterHarness.LinesAsync(B(input), s_small);

        Assert.Equal(expected, lines.Select(l => Encoding.Latin1.GetString(l!)).ToArray());
    }

    /// <summary>Standard input is a pipe: its lines so far fill a batch, which goes out without waiting for a batch's
    /// budget of bytes more (or the end), which may only come once the caller has read these results.</summary>
    [Fact]
    public async Task CutAsync_PipeHoldsAWholeBatchAndNoMoreYet_CutsItWithoutWaitingForMoreInput()
    {
        await using var input = new WrittenSoFar([B("one\n"), B("two\nthree\n"), B("fou")]);
        var cutter = new BatchCutter(input, new CutSettings(BatchLines: 3, BatchBytes: 1024, MaxLineBytes: 512), Guid.NewGuid(), 0, 0, 1);
        using var writer = new MessageWriter();

        var batch = await cutter.CutAsync(writer, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(batch);
        Assert.Equal(3, batch.LineCount);
        Assert.Equal(B("one\ntwo\nthree\n").Length, batch.EndOffset);
    }

    [Fact]
    public async Task CutAsync_LineOverLimit_IsMarkedWithoutBytesAndTheFileGoesOn()
    {
        var input = B("short\n" + new string('L', 33) + "\n" + new string('k', 32) + "\r\nnext\n");

        var lines = await CutterHarness.LinesAsync(input, s_small);

        Assert.Equal(4, lines.Count);
        Assert.Equal(B("short"), lines[0]);
        Assert.Null(lines[1]);
        Assert.Equal(B(new string('k', 32)), lines[2]);
        Assert.Equal(B("next"), lines[3]);
    }

    [Fact]
    public async Task CutAsync_HugeLine_IsSkippedInPiecesNotHeldWhole()
    {
        const long hugeLine = 64L * 1024 * 1024;
        var settings = new CutSettings(1000, 512 * 1024, 1024);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var batches = await CutterHarness.CutAllAsync(new EndlessLineStream(hugeLine), settings);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8 * 1024 * 1024, $"allocated {allocated} bytes for a {hugeLine}-byte line");
        var lines = batches.SelectMany(b => b.Decoded.Lines).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(LineFlag.OverLimit, lines[0].Flag);
        Assert.Equal(LineFlag.Data, lines[1].Flag);
    }

    [Fact]
    public async Task CutAsync_Limits_NoBatchExceedsLinesOrBytesUnlessItHoldsOneLine()
    {
        var input = RandomText(seed: 7, lines: 2000);
        var settings = new CutSettings(BatchLines: 50, BatchBytes: 700, MaxLineBytes: 600);

        var batches = await CutterHarness.CutAllAsync(new MemoryStream(input), settings);

        Assert.All(batches, b =>
        {
            Assert.InRange(b.Batch.LineCount, 1, 50);
            var raw = b.Batch.EndOffset - b.Batch.StartOffset - b.Batch.LineCount;
            Assert.True(b.Batch.LineCount == 1 || raw <= 700, $"batch {b.Batch.Sequence} holds {raw} bytes");
        });
        Assert.Equal(input.Length, batches[^1].Batch.EndOffset);
        Assert.Equal(Enumerable.Range(0, batches.Count).Select(i => (long)i), batches.Select(b => b.Batch.Sequence));
    }

    [Fact]
    public async Task CutAsync_FromARecordedBatchStart_CutsTheSameBatchesAgain()
    {
        var input = RandomText(seed: 11, lines: 3000);
        var settings = new CutSettings(BatchLines: 37, BatchBytes: 900, MaxLineBytes: 300);
        var all = await CutterHarness.CutAllAsync(new MemoryStream(input), settings);

        foreach (var resumeAt in new[] { 1, all.Count / 3, all.Count - 1 })
        {
            var start = all[resumeAt].Batch;
            var stream = new MemoryStream(input) { Position = start.StartOffset };

            var again = await CutterHarness.CutAllAsync(stream, settings, start.StartOffset, start.Sequence, start.FirstLine);

            Assert.Equal(all.Skip(resumeAt).Select(b => b.Batch.Body.ToArray()), again.Select(b => b.Batch.Body.ToArray()));
        }
    }

    [Fact]
    public async Task CutAsync_InputArrivingInTinyReads_CutsTheSameBatchesAsOneRead()
    {
        var input = RandomText(seed: 3, lines: 1500);
        var settings = new CutSettings(BatchLines: 20, BatchBytes: 400, MaxLineBytes: 250);

        var whole = await CutterHarness.CutAllAsync(new MemoryStream(input), settings);
        var chunked = await CutterHarness.CutAllAsync(new ChunkedStream(input, seed: 5), settings);

        Assert.Equal(whole.Select(b => b.Batch.Body.ToArray()), chunked.Select(b => b.Batch.Body.ToArray()));
    }

    [Theory]
    [InlineData(0)]         // a file that was empty when it was opened and grew
    [InlineData(20_000)]    // a file longer than it was: the small buffer fills, then grows
    public async Task CutAsync_FileLongerThanItsExpectedLength_CutsTheSameBatchesAsAFullBuffer(long expectedBytes)
    {
        var input = RandomText(seed: 4, lines: 3000);
        var settings = new CutSettings(BatchLines: 200, BatchBytes: 40_000, MaxLineBytes: 250);
        Assert.True(input.Length > BatchCutter.MinBufferBytes * 4);

        var full = await CutterHarness.CutAllAsync(new MemoryStream(input), settings);
        var small = await CutterHarness.CutAllAsync(new ChunkedStream(input, seed: 6), settings, expectedBytes: expectedBytes);

        Assert.Equal(full.Select(b => b.Batch.Body.ToArray()), small.Select(b => b.Batch.Body.ToArray()));
    }

    [Fact]
    public async Task CutAsync_SmallFileOfItsExpectedLength_NeverAllocatesTheFullBuffer()
    {
        // Default batch settings: the cutter asks for a whole batch's budget (about a megabyte) ahead of each line.
        var input = RandomText(seed: 7, lines: 20);
        var settings = new CutSettings(BatchLines: 1000, BatchBytes: 1024 * 1024, MaxLineBytes: 1024 * 1024);
        await CutterHarness.CutAllAsync(new MemoryStream(input), settings, expectedBytes: input.Length); // JIT warm-up

        // A MemoryStream completes every read at once, so the whole cut runs on this thread.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var batches = await CutterHarness.CutAllAsync(new MemoryStream(input), settings, expectedBytes: input.Length);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(20, batches.Sum(b => b.Decoded.Lines.Count));
        Assert.True(allocated < 256 * 1024, $"cutting a {input.Length}-byte file allocated {allocated} bytes");
    }

    [Fact]
    public async Task CutAsync_LineNumbers_AreConsecutiveAcrossBatches()
    {
        var input = RandomText(seed: 9, lines: 500);

        var batches = await CutterHarness.CutAllAsync(new MemoryStream(input), s_small with { MaxLineBytes = 400, BatchBytes = 300 });

        var expectedFirst = 1L;
        foreach (var (batch, decoded) in batches)
        {
            Assert.Equal(expectedFirst, batch.FirstLine);
            Assert.Equal(expectedFirst, decoded.Header.FirstLine);
            expectedFirst += batch.LineCount;
        }
        Assert.Equal(501, expectedFirst);
    }

    private static byte[] RandomText(int seed, int lines)
    {
        var random = new Random(seed);
        var text = new MemoryStream();
        for (var i = 0; i < lines; i++)
        {
            var length = random.Next(0, 100) < 3 ? random.Next(200, 700) : random.Next(0, 60);
            for (var j = 0; j < length; j++)
            {
                text.WriteByte((byte)random.Next(0, 256) is var b && b == (byte)'\n' ? (byte)'n' : b);
            }
            text.Write(random.Next(0, 4) == 0 ? "\r\n"u8 : "\n"u8);
        }
        return text.ToArray();
    }

    /// <summary>A pipe whose writer has written these chunks so far (one per read) and nothing more yet: a read past them
    /// waits until cancelled.</summary>
    private sealed class WrittenSoFar(byte[][] chunks) : PipeLikeStream
    {
        private int _next;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_next == chunks.Length)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            var chunk = chunks[_next++];
            chunk.CopyTo(buffer);
            return chunk.Length;
        }
    }
}
