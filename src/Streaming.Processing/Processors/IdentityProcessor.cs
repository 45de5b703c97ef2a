using System.Buffers;

namespace Streaming.Consumer.Processors;

/// <summary><c>identity</c>: the line's bytes, byte for byte.</summary>
internal sealed class IdentityProcessor : ILineProcessor
{
    public const string Name = "identity";

    /// <summary>Stateless, so every slot shares it.</summary>
    public static IdentityProcessor Instance { get; } = new();

    public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        output.Write(line.Span);
        return ValueTask.CompletedTask;
    }
}
