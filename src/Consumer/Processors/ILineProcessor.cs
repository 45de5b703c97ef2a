using System.Buffers;

namespace Streaming.Consumer.Processors;

/// <summary>
/// Turns one input line into one output line. This is the extension point for user code: implement it, register a
/// factory under a name with <see cref="ProcessorCatalog.Register"/>, and start the service with
/// <see cref="ConsumerApp.RunAsync"/> (see <c>samples/CustomProcessor</c>).
/// </summary>
/// <remarks>
/// <para>The service creates one instance per concurrency slot through the registered factory, so an instance is
/// never called concurrently and may keep reusable state (a hash context, a buffer, a client).</para>
/// <para><paramref name="line"/> holds the line's raw bytes without its terminator (<c>\n</c> and one trailing
/// <c>\r</c> are already removed); it is only valid until the returned task completes.</para>
/// <para>Write the output line, without a terminator, to <paramref name="output"/>. To fail the line, throw: the
/// exception's message becomes the line's entry in <c>&lt;name&gt;.errors.jsonl</c>, its output line is empty,
/// and the rest of the batch goes on. Anything written before the throw is discarded.</para>
/// <para>Honour <paramref name="cancellationToken"/> in long waits: it fires when the service shuts down, and the
/// line is then handed back to the broker for another consumer.</para>
/// </remarks>
public interface ILineProcessor
{
    ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken);
}
