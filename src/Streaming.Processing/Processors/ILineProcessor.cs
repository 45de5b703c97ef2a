using System.Buffers;

namespace Streaming.Consumer.Processors;

/// <summary>
/// Turns one input line into one output line. This is the extension point for user code: implement it, register a
/// factory under a name with <c>ProcessorCatalog.Register</c>, and start the service with
/// <see cref="ConsumerApp.RunAsync"/> (see <c>samples/CustomProcessor</c>).
/// </summary>
/// <remarks>
/// The service creates one instance per concurrency slot through the registered factory, so an instance is never
/// called concurrently and may keep reusable state (a hash context, a buffer, a client).
/// </remarks>
public interface ILineProcessor
{
    /// <summary>Processes one line.</summary>
    /// <param name="line">The line's raw bytes without its terminator (<c>\n</c> and one trailing <c>\r</c> are
    /// already removed); only valid until the returned task completes.</param>
    /// <param name="output">Where the output line goes, without a terminator (an output holding <c>\n</c> fails the line). To fail the line, throw: the
    /// exception's message becomes the line's entry in <c>&lt;name&gt;.errors.jsonl</c>, its output line is empty,
    /// and the rest of the batch goes on. Anything written before the throw is discarded.</param>
    /// <param name="cancellationToken">Fires when the service shuts down; the line is then handed back to the
    /// broker for another consumer. Honour it in long waits.</param>
    ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken);
}
