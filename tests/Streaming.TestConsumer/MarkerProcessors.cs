using System.Buffers;
using System.Text;
using Streaming.Consumer.Processors;

namespace Streaming.TestConsumer;

/// <summary>
/// Test-only processors: identity, except that a line containing the marker kills the process
/// (<c>failfast:MARKER</c>), throws (<c>throw:MARKER</c>) or is written three times over in its one output line
/// (<c>triple:MARKER</c>: an output larger than its input), or takes <c>slow:MS</c> (or up to <c>jitter:MS</c>) per line.
/// </summary>
internal static class MarkerProcessors
{
    public static ProcessorCatalog Register(ProcessorCatalog catalog) => catalog
        .Register("failfast", Marker(static () => Environment.FailFast("test processor hit its poison marker")))
        .Register("throw", Marker(static () => throw new InvalidOperationException("test processor refused this line")))
        .Register("triple", (string? argument, out string? error) =>
        {
            error = string.IsNullOrEmpty(argument) ? "a marker is required" : null;
            return error is null ? () => new Triple(Encoding.UTF8.GetBytes(argument!)) : null;
        })
        .Register("slow", (string? argument, out string? error) =>
        {
            error = int.TryParse(argument, out var ms) && ms >= 0 ? null : "slow takes milliseconds";
            return error is null ? () => new Slow(ms, jitter: false) : null;
        })
        .Register("jitter", (string? argument, out string? error) =>
        {
            error = int.TryParse(argument, out var ms) && ms >= 1 ? null : "jitter takes milliseconds";
            return error is null ? () => new Slow(ms, jitter: true) : null;
        });

    private static LineProcessorDefinition Marker(Action onMarker) => (string? argument, out string? error) =>
    {
        if (string.IsNullOrEmpty(argument))
        {
            error = "a marker is required";
            return null;
        }
        error = null;
        var marker = Encoding.UTF8.GetBytes(argument);
        return () => new OnMarker(marker, onMarker);
    };

    private sealed class OnMarker(byte[] marker, Action onMarker) : ILineProcessor
    {
        public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
        {
            if (line.Span.IndexOf(marker) >= 0)
            {
                onMarker();
            }
            output.Write(line.Span);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Triple(byte[] marker) : ILineProcessor
    {
        public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
        {
            var times = line.Span.IndexOf(marker) >= 0 ? 3 : 1;
            for (var i = 0; i < times; i++)
            {
                output.Write(line.Span);
            }
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Waits a fixed time, or (jitter) a time from 0 to the maximum that depends on the line's bytes,
    /// so that batches finish out of order.</summary>
    private sealed class Slow(int milliseconds, bool jitter) : ILineProcessor
    {
        public async ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
        {
            var wait = jitter ? (int)((uint)HashCode.Combine(line.Length, line.Length > 0 ? line.Span[^1] : 0) % (uint)(milliseconds + 1)) : milliseconds;
            await Task.Delay(wait, cancellationToken);
            output.Write(line.Span);
        }
    }
}
