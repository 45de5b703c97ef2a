using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Core;

namespace Streaming.UnitTests.Producer.Job.Core;

public sealed class ReorderBufferTests
{
    private static readonly Guid s_job = Guid.NewGuid();

    private static LineResult Part(long sequence, int batchLines, int start, int count)
    {
        using var writer = new MessageWriter();
        for (var i = start; i < start + count; i++)
        {
            writer.WriteEntry(LineStatus.Ok, [(byte)('a' + i)]);
        }
        var header = new BatchHeader(s_job, sequence, 1 + (sequence * batchLines), batchLines, start, count);
        return LineResult.Decode(writer.Complete(MessageKind.Result, header).ToArray(), 100);
    }

    [Fact]
    public void TryPeekComplete_WholeBatch_IsCompleteAtOnceAndHeldUntilRemoved()
    {
        var buffer = new ReorderBuffer();

        Assert.True(buffer.Add(Part(5, 4, 0, 4)));

        Assert.True(buffer.TryPeekComplete(5, out var batch));
        Assert.Single(batch.PartsInOrder);
        Assert.Equal(1, buffer.Count);
        buffer.Remove(5);
        Assert.Equal(0, buffer.Count);
    }

    [Fact]
    public void TryPeekComplete_SplitParts_CompleteOnlyWhenEveryLineIsCovered()
    {
        var buffer = new ReorderBuffer();

        buffer.Add(Part(1, 8, 4, 4));
        buffer.Add(Part(1, 8, 0, 2));
        Assert.False(buffer.TryPeekComplete(1, out _));
        buffer.Add(Part(1, 8, 2, 1));
        Assert.False(buffer.TryPeekComplete(1, out _));
        buffer.Add(Part(1, 8, 3, 1));

        Assert.True(buffer.TryPeekComplete(1, out var batch));
        Assert.Equal([0, 2, 3, 4], batch.PartsInOrder.Select(p => p.Header.PartStart));
    }

    [Fact]
    public void Add_PartInsideAHeldPart_IsADuplicate()
    {
        var buffer = new ReorderBuffer();
        buffer.Add(Part(2, 8, 0, 4));

        Assert.False(buffer.Add(Part(2, 8, 0, 4)));
        Assert.False(buffer.Add(Part(2, 8, 2, 2)));
    }

    [Fact]
    public void Add_WholeBatchAfterParts_ReplacesThem()
    {
        var buffer = new ReorderBuffer();
        buffer.Add(Part(3, 8, 0, 2));
        buffer.Add(Part(3, 8, 4, 4));

        Assert.True(buffer.Add(Part(3, 8, 0, 8)));

        Assert.True(buffer.TryPeekComplete(3, out var batch));
        Assert.Single(batch.PartsInOrder);
    }

    [Fact]
    public void Add_OverlappingPartsThatDoNotNest_AreRejectedAsMalformed()
    {
        var buffer = new ReorderBuffer();
        buffer.Add(Part(4, 8, 0, 4));

        Assert.Throws<MessageFormatException>(() => buffer.Add(Part(4, 8, 2, 4)));
    }

    [Fact]
    public void HeldBytes_PartsAddedReplacedAndReleased_CountsWhatIsHeldNow()
    {
        var buffer = new ReorderBuffer();
        var first = Part(6, 8, 0, 2);
        var second = Part(6, 8, 4, 4);
        var whole = Part(6, 8, 0, 8);

        buffer.Add(first);
        buffer.Add(second);
        Assert.Equal(first.Body.Length + second.Body.Length, buffer.HeldBytes);

        buffer.Add(whole);
        Assert.Equal(whole.Body.Length, buffer.HeldBytes);

        Assert.True(buffer.TryPeekComplete(6, out var batch));
        buffer.Remove(6);
        batch.Release();
        Assert.Equal(0, buffer.HeldBytes);
    }

    [Fact]
    public void Add_TheDeliveryBodyReusedAfterwards_TheHeldLinesAreTheOnesAdded()
    {
        var buffer = new ReorderBuffer();
        var part = Part(7, 4, 0, 4);
        var delivery = part.Body.ToArray();
        var decoded = LineResult.Decode(delivery, 100);

        buffer.Add(decoded);
        Array.Fill(delivery, (byte)0);      // the broker client reuses the body once the handler returns

        Assert.True(buffer.TryPeekComplete(7, out var batch));
        var held = Assert.Single(batch.PartsInOrder);
        Assert.Equal(part.Header, held.Header);
        Assert.Equal(["a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray(), "d"u8.ToArray()],
            Enumerable.Range(0, held.Lines.Count).Select(i => held.LineBytes(i).ToArray()));
        batch.Release();
    }
}
