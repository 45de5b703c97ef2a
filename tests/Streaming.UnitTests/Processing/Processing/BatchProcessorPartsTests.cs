using System.Text;
using Streaming.Consumer.Processing;
using Streaming.Consumer.Processors;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Core;

namespace Streaming.UnitTests.Processing.Processing;

public sealed class BatchProcessorPartsTests
{
    private const int MaxLineBytes = 1024 * 1024;

    private static LineBatch Batch(List<byte[]> lines, int partStart = 0, int? batchLines = null)
    {
        using var writer = new MessageWriter();
        foreach (var line in lines)
        {
            writer.WriteEntry(LineFlag.Data, line);
        }
        var header = new BatchHeader(Guid.NewGuid(), 3, 1001, batchLines ?? lines.Count, partStart, lines.Count);
        return LineBatch.Decode(writer.Complete(MessageKind.Batch, header).ToArray(), MaxLineBytes);
    }

    private static async Task<List<LineResult>> ProcessAsync(LineBatch batch, int maxMessageBytes)
    {
        await using var processor = new BatchProcessor(() => IdentityProcessor.Instance, concurrency: 4);
        using var result = await processor.ProcessAsync(batch, maxMessageBytes, CancellationToken.None);
        return result.Parts.Select(p => LineResult.Decode(p.WrittenMemory.ToArray(), MaxLineBytes)).ToList();
    }

    private static List<byte[]> Lines(int count) =>
        Enumerable.Range(0, count).Select(i => Encoding.ASCII.GetBytes(new string('x', i % 97) + i)).ToList();

    [Fact]
    public async Task ProcessAsync_ResultOverTheLimit_PartsFitAndTheCollectorJoinsThemIntoTheWholeResult()
    {
        var lines = Lines(2_000);

        var parts = await ProcessAsync(Batch(lines), maxMessageBytes: 8_192);

        Assert.True(parts.Count > 10);
        Assert.All(parts, p => Assert.True(p.Body.Length <= 8_192, $"a part of {p.Body.Length} bytes"));
        var buffer = new ReorderBuffer();
        foreach (var part in parts.AsEnumerable().Reverse())
        {
            Assert.True(buffer.Add(part));
        }
        Assert.True(buffer.TryPeekComplete(3, out var joined));
        var output = joined.PartsInOrder.SelectMany(p => Enumerable.Range(0, p.Lines.Count).Select(i => p.LineBytes(i).ToArray())).ToList();
        joined.Release();
        Assert.Equal(lines, output);
    }

    [Fact]
    public async Task ProcessAsync_QuarantinedPartOverTheLimit_PartsStayInsideIt()
    {
        var lines = Lines(1_000);
        var batch = Batch(lines, partStart: 500, batchLines: 2_000);

        var parts = await ProcessAsync(batch, maxMessageBytes: 8_192);

        Assert.True(parts.Count > 1);
        Assert.Equal(500, parts[0].Header.PartStart);
        Assert.Equal(1_000, parts.Sum(p => p.Header.PartCount));
        Assert.All(parts, p => Assert.True(p.Header.IsWithin(batch.Header)));
        Assert.All(parts, p => Assert.Equal(batch.Header with { PartStart = p.Header.PartStart, PartCount = p.Header.PartCount }, p.Header));
    }

    [Fact]
    public async Task ProcessAsync_ResultThatFits_IsOneWholeMessage()
    {
        var lines = Enumerable.Range(0, 100).Select(i => Encoding.ASCII.GetBytes($"line {i}")).ToList();

        var parts = await ProcessAsync(Batch(lines), maxMessageBytes: 8_192);

        var whole = Assert.Single(parts);
        Assert.Equal(100, whole.Lines.Count);
        Assert.All(whole.Lines, l => Assert.Equal(LineStatus.Ok, l.Flag));
    }

    [Fact]
    public async Task ProcessAsync_OneOutputLineOverTheLimit_FailsAloneWithTheReason()
    {
        var lines = new List<byte[]> { "a"u8.ToArray(), new byte[20_000], "c"u8.ToArray() };

        var parts = await ProcessAsync(Batch(lines), maxMessageBytes: 8_192);

        var entries = parts.SelectMany(p => Enumerable.Range(0, p.Lines.Count).Select(i => (p.Lines[i].Flag, Bytes: p.LineBytes(i).ToArray()))).ToList();
        Assert.Equal([LineStatus.Ok, LineStatus.Failed, LineStatus.Ok], entries.Select(e => e.Flag));
        Assert.Contains("20000 bytes is more than one result message may carry", Encoding.UTF8.GetString(entries[1].Bytes), StringComparison.Ordinal);
        Assert.Equal("c"u8.ToArray(), entries[2].Bytes);
    }
}
