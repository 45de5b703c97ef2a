using System.Buffers;

namespace Streaming.Consumer.Processors;

/// <summary><c>delay:&lt;ms&gt;</c>: waits without holding a thread, then identity (a stand-in for I/O-bound work).</summary>
internal sealed class DelayProcessor(TimeSpan delay, TimeProvider timeProvider) : ILineProcessor
{
    public const string Name = "delay";
    public const int MaxMilliseconds = 60_000;

    public static LineProcessorFactory? Define(string? argument, out string? error)
    {
        if (argument is null)
        {
            error = $"processor '{Name}' needs a delay in milliseconds from 0 to {MaxMilliseconds}, e.g. '{Name}:100'";
            return null;
        }
        if (!ProcessorArgument.TryParseWholeNumber(argument, 0, MaxMilliseconds, out var milliseconds))
        {
            error = $"processor '{Name}' takes a delay in milliseconds from 0 to {MaxMilliseconds}, got '{argument}'";
            return null;
        }
        error = null;
        if (milliseconds == 0)
        {
            return () => IdentityProcessor.Instance;
        }
        var delay = TimeSpan.FromMilliseconds(milliseconds);
        return () => new DelayProcessor(delay, TimeProvider.System);
    }

    public async ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        // The system clock's timers are late by up to a kernel tick (see PreciseDelays); a test's clock is used as is.
        await (ReferenceEquals(timeProvider, TimeProvider.System)
            ? PreciseDelays.DelayAsync(delay, cancellationToken)
            : Task.Delay(delay, timeProvider, cancellationToken));
        output.Write(line.Span);
    }
}
