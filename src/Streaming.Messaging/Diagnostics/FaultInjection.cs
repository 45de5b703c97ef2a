using System.Diagnostics;
using System.Globalization;

namespace Streaming.Messaging.Diagnostics;

/// <summary>
/// Deterministic crash points for fault tests: with <c>STREAMING_FAULT_POINT=&lt;point&gt;[@N]</c> in its environment,
/// a service kills itself with SIGKILL the Nth time (default the first) it reaches that point — exactly what a
/// <c>kill -9</c> at that moment would do. Without the variable, <see cref="Reach"/> costs one comparison.
/// </summary>
internal static class FaultInjection
{
    public const string EnvironmentVariable = "STREAMING_FAULT_POINT";

    /// <summary>A consumer published a result and got its confirm, but has not acked the batch yet.</summary>
    public const string ConsumerAfterResultConfirmed = "consumer.after-result-confirmed";

    /// <summary>A consumer received a batch and has not published its result yet.</summary>
    public const string ConsumerBeforeResultPublished = "consumer.before-result-published";

    /// <summary>The producer got the confirm for a batch; no checkpoint covers it yet.</summary>
    public const string ProducerAfterBatchConfirmed = "producer.after-batch-confirmed";

    /// <summary>The collector wrote (or held) a result, and has neither checkpointed nor acked it.</summary>
    public const string CollectorAfterWrite = "collector.after-write-before-ack";

    /// <summary>The collector saved a checkpoint covering a result it has not acked yet.</summary>
    public const string CollectorAfterCheckpoint = "collector.after-checkpoint-before-ack";

    /// <summary><c>STREAMING_FAIL_WRITES=&lt;first&gt;:&lt;count&gt;</c>: from the <c>first</c>th output write on,
    /// <c>count</c> writes fail half-way with an I/O error, as on a full disk.</summary>
    public const string FailWritesVariable = "STREAMING_FAIL_WRITES";

    private static readonly (string Point, int Hit)? s_armed = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static readonly (int First, int Count)? s_failingWrites = ParseRange(Environment.GetEnvironmentVariable(FailWritesVariable));
    private static int s_hits;
    private static int s_writes;

    /// <summary>True when this write is one of those <see cref="FailWritesVariable"/> makes fail.</summary>
    public static bool FailThisWrite()
    {
        if (s_failingWrites is not { } failing)
        {
            return false;
        }
        var write = Interlocked.Increment(ref s_writes);
        return write >= failing.First && write < failing.First + failing.Count;
    }

    public static void Reach(string point)
    {
        if (s_armed is not { } armed || armed.Point != point)
        {
            return;
        }
        if (Interlocked.Increment(ref s_hits) == armed.Hit)
        {
            Console.Error.WriteLine($"fault injection: killing this process at {point} (hit {armed.Hit})");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        }
    }

    private static (int, int)? ParseRange(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return (int.Parse(value[..colon], NumberStyles.None, CultureInfo.InvariantCulture),
            int.Parse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture));
    }

    private static (string, int)? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var at = value.IndexOf('@', StringComparison.Ordinal);
        return at < 0
            ? (value, 1)
            : (value[..at], int.Parse(value[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture));
    }
}
