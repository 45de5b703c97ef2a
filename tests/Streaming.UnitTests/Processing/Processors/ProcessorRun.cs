using System.Buffers;
using Streaming.Consumer.Processors;

namespace Streaming.UnitTests.Processing.Processors;

internal static class ProcessorRun
{
    public static async Task<byte[]> OutputAsync(
        ILineProcessor processor, byte[] line, CancellationToken cancellationToken = default)
    {
        var output = new ArrayBufferWriter<byte>();
        await processor.ProcessAsync(line, output, cancellationToken);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Parses hex such as "61 00 ff" (spaces ignored).</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static LineProcessorFactory Resolve(string spec)
    {
        var factory = ProcessorCatalog.CreateDefault().Resolve(spec, out var error);
        Assert.Null(error);
        Assert.NotNull(factory);
        return factory;
    }
}
