using System.Buffers.Binary;
using Streaming.Messaging.Contract;

namespace Streaming.UnitTests.Messaging.Contract;

public sealed class MessageCodecTests
{
    private static readonly BatchHeader s_header = new(Guid.NewGuid(), Sequence: 42, FirstLine: 1001, BatchLineCount: 3, PartStart: 0, PartCount: 3);

    private static byte[] EncodeBatch(BatchHeader header, params byte[][] lines)
    {
        using var writer = new MessageWriter(16);
        foreach (var line in lines)
        {
            writer.WriteEntry(LineFlag.Data, line);
        }
        return writer.Complete(MessageKind.Batch, header).ToArray();
    }

    [Fact]
    public void Decode_EncodedBatch_RoundTripsHeaderAndLines()
    {
        var body = EncodeBatch(s_header, "one"u8.ToArray(), [], [0, 0xff, (byte)'\r']);

        var batch = LineBatch.Decode(body, 1024);

        Assert.Equal(s_header, batch.Header);
        Assert.Equal("one"u8.ToArray(), batch.LineBytes(0).ToArray());
        Assert.Empty(batch.LineBytes(1).ToArray());
        Assert.Equal(new byte[] { 0, 0xff, (byte)'\r' }, batch.LineBytes(2).ToArray());
    }

    [Fact]
    public void Decode_EncodedResult_RoundTripsStatuses()
    {
        using var writer = new MessageWriter();
        writer.WriteEntry(LineStatus.Ok, "out"u8);
        writer.WriteEntry(LineStatus.Failed, "reason"u8);
        writer.WriteEntry(LineStatus.Ok, []);
        var body = writer.Complete(MessageKind.Result, s_header).ToArray();

        var result = LineResult.Decode(body, 1024);

        Assert.Equal(s_header, result.Header);
        Assert.Equal([LineStatus.Ok, LineStatus.Failed, LineStatus.Ok], result.Lines.Select(l => l.Flag));
        Assert.Equal("reason"u8.ToArray(), result.LineBytes(1).ToArray());
    }

    public static TheoryData<string, Func<byte[], byte[]>> Corruptions => new()
    {
        { "empty", _ => [] },
        { "truncated header", b => b[..20] },
        { "bad magic", b => Set(b, 0, 0x00) },
        { "result kind", b => Set(b, 4, (byte)MessageKind.Result) },
        { "unknown kind", b => Set(b, 4, 9) },
        { "unknown schema", b => Set(b, 5, 2) },
        { "negative sequence", b => SetInt64(b, 24, -1) },
        { "line zero", b => SetInt64(b, 32, 0) },
        { "zero lines", b => SetInt32(b, 40, 0) },
        { "part past batch", b => SetInt32(b, 44, 2) },
        { "huge count", b => SetInt32(b, 48, int.MaxValue) },
        { "count larger than body", b => SetInt32(b, 48, 4) },
        { "length past body", b => SetInt32(b, 53, 1_000) },
        { "huge length", b => SetUInt32(b, 53, uint.MaxValue) },
        { "unknown flag", b => Set(b, 52, 7) },
        { "trailing bytes", b => [.. b, 1, 2, 3] },
        { "truncated line", b => b[..^1] },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Decode_CorruptedBatch_ThrowsMessageFormatException(string name, Func<byte[], byte[]> corrupt)
    {
        var body = corrupt(EncodeBatch(s_header, "abc"u8.ToArray(), "de"u8.ToArray(), "f"u8.ToArray()));

        var error = Assert.Throws<MessageFormatException>(() => LineBatch.Decode(body, 1024));
        Assert.False(string.IsNullOrWhiteSpace(error.Message), name);
    }

    [Fact]
    public void Decode_LineLongerThanLimit_ThrowsMessageFormatException()
    {
        var body = EncodeBatch(s_header with { BatchLineCount = 1, PartCount = 1 }, new byte[100]);

        Assert.Throws<MessageFormatException>(() => LineBatch.Decode(body, 99));
    }

    [Fact]
    public void Decode_ResultBodyAsBatch_ThrowsMessageFormatException()
    {
        using var writer = new MessageWriter();
        writer.WriteEntry(LineStatus.Ok, "x"u8);
        var result = writer.Complete(MessageKind.Result, s_header with { BatchLineCount = 1, PartCount = 1 }).ToArray();

        Assert.Throws<MessageFormatException>(() => LineBatch.Decode(result, 1024));
    }

    [Fact]
    public void Complete_CountDifferentFromHeader_Throws()
    {
        using var writer = new MessageWriter();
        writer.WriteEntry(LineFlag.Data, "x"u8);

        Assert.Throws<InvalidOperationException>(() => writer.Complete(MessageKind.Batch, s_header));
    }

    private static byte[] Set(byte[] b, int at, byte value)
    {
        b[at] = value;
        return b;
    }

    private static byte[] SetInt32(byte[] b, int at, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(at), value);
        return b;
    }

    private static byte[] SetUInt32(byte[] b, int at, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), value);
        return b;
    }

    private static byte[] SetInt64(byte[] b, int at, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(at), value);
        return b;
    }
}
