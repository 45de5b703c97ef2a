using System.Buffers;
using System.Text;
using Streaming.Consumer.Processing;
using Streaming.Consumer.Processors;
using Streaming.Messaging.Contract;

namespace Streaming.UnitTests.Processing.Processing;

/// <summary>An output line that holds a line break would be two lines of the output file: the line fails on the
/// consumer, with the reason, and the lines around it go on.</summary>
public sealed class BatchProcessorLineBreakTests
{
    private const int MaxLineBytes = 1024 * 1024;

    [Fact]
    public async Task ProcessAsync_ProcessorWritesALineBreak_ThatLineFailsWithTheReasonAndTheOthersSucceed()
    {
        using var writer = new MessageWriter();
        foreach (var line in new[] { "a", "split me", "c" })
        {
            writer.WriteEntry(LineFlag.Data, Encoding.ASCII.GetBytes(line));
        }
        var batch = LineBatch.Decode(
            writer.Complete(MessageKind.Batch, new BatchHeader(Guid.NewGuid(), 0, 1, 3, 0, 3)).ToArray(), MaxLineBytes);
        await using var processor = new BatchProcessor(() => new SplittingProcessor(), concurrency: 2);

        using var messages = await processor.ProcessAsync(batch, 64 * 1024, CancellationToken.None);

        var result = LineResult.Decode(Assert.Single(messages.Parts).WrittenMemory.ToArray(), MaxLineBytes);
        Assert.Equal([LineStatus.Ok, LineStatus.Failed, LineStatus.Ok], result.Lines.Select(l => l.Flag));
        Assert.Equal("a", Encoding.ASCII.GetString(result.LineBytes(0)));
        Assert.Contains("line break", Encoding.UTF8.GetString(result.LineBytes(1)), StringComparison.Ordinal);
        Assert.Equal("c", Encoding.ASCII.GetString(result.LineBytes(2)));
    }

    /// <summary>Turns spaces into line breaks, as a careless user processor might.</summary>
    private sealed class SplittingProcessor : ILineProcessor
    {
        public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
        {
            var bytes = line.ToArray();
            bytes.AsSpan().Replace((byte)' ', (byte)'\n');
            output.Write(bytes);
            return ValueTask.CompletedTask;
        }
    }
}
