using Streaming.Producer;
using Streaming.Producer.Job.Input;
using Streaming.UnitTests.Producer.Job.Input;

namespace Streaming.UnitTests.Producer;

public sealed class ProducerOptionsTests
{
    /// <summary>The shared array pool lends buffers in powers of two, and keeps what it lent: a message one byte over
    /// 1 MiB takes a 2 MiB buffer in the producer's writer, the consumer's delivery and result, and the broker client's
    /// copy of each.</summary>
    private const int PoolBucketBytes = 1024 * 1024;

    /// <summary>What the broker client adds around a body in the buffer it serialises a publish into: the method frame,
    /// the content header with the batch's properties, 8 bytes per body frame.</summary>
    private const int ClientFramingAllowance = 4096;

    [Theory]
    [InlineData(1)]
    [InlineData(60)]
    [InlineData(97)]
    [InlineData(98)]
    [InlineData(100)]
    [InlineData(103)]
    [InlineData(104)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public async Task Defaults_BatchOfLinesOfAnyLength_MessageFitsOnePoolBucketWithTheClientsFraming(int lineLength)
    {
        var options = new ProducerOptions();
        var settings = new CutSettings(options.BatchLines, options.BatchBytes, options.MaxLineBytes);
        var line = new byte[lineLength + 1];
        Array.Fill(line, (byte)'x');
        line[^1] = (byte)'\n';
        var lines = 2 * Math.Max(options.BatchLines, options.BatchBytes / lineLength);
        var input = new byte[(long)lines * line.Length];
        for (var i = 0; i < lines; i++)
        {
            line.CopyTo(input, (long)i * line.Length);
        }

        var batches = await CutterHarness.CutAllAsync(new MemoryStream(input), settings);

        var largest = batches.Max(b => b.Batch.Body.Length);
        Assert.True(largest + ClientFramingAllowance <= PoolBucketBytes,
            $"a batch of {lineLength}-byte lines is a {largest}-byte message: with the client's framing it needs a buffer over {PoolBucketBytes} bytes");
    }
}
