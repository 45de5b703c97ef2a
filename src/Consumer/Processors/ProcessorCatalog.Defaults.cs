using System.Buffers;

namespace Streaming.Consumer.Processors;

public sealed partial class ProcessorCatalog
{
    /// <summary>The built-in processors (placeholder until the processors land).</summary>
    public static ProcessorCatalog CreateDefault() => new ProcessorCatalog().Register("identity", () => new TempIdentity());

    private sealed class TempIdentity : ILineProcessor
    {
        public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
        {
            output.Write(line.Span);
            return ValueTask.CompletedTask;
        }
    }
}
