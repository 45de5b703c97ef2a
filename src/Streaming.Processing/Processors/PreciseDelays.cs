using System.Diagnostics;

namespace Streaming.Consumer.Processors;

/// <summary>
/// Waits that end on time. .NET's timers fire on the kernel's timer ticks — every 4 ms on a kernel built with HZ=250,
/// like the project's machines, where <c>Task.Delay(10 ms)</c> takes 12 ms — so <c>delay:10</c> waited a fifth longer
/// than asked. Here one background thread per process sleeps (nanosleep precision) until the earliest deadline and
/// completes the waits that are due: no thread is held per wait, and the thread blocks while nothing waits.
/// </summary>
internal static class PreciseDelays
{
    /// <summary>How long the thread sleeps at most before it looks again (a shorter wait added meanwhile ends at most this late).</summary>
    private static readonly long s_longestSleepTicks = Stopwatch.Frequency / 200;

    private static readonly Lock s_lock = new();
    private static readonly PriorityQueue<TaskCompletionSource, long> s_waiting = new();
    private static readonly ManualResetEventSlim s_added = new(false);
    private static Thread? s_thread;

    /// <summary>Completes no earlier than <paramref name="delay"/> from now (about half a millisecond later on average).</summary>
    public static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var due = Stopwatch.GetTimestamp() + (long)Math.Ceiling(delay.TotalSeconds * Stopwatch.Frequency);
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (s_lock)
        {
            s_waiting.Enqueue(waiter, due);
            s_added.Set();
            s_thread ??= StartThread();
        }
        // A cancelled wait ends at once; its entry stays queued until its deadline, where completing it does nothing.
        using var registration = cancellationToken.Register(
            static (state, token) => ((TaskCompletionSource)state!).TrySetCanceled(token), waiter);
        await waiter.Task;
    }

    private static Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "Streaming precise delays" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        while (true)
        {
            long? untilNext;
            lock (s_lock)
            {
                untilNext = CompleteDue();
                if (untilNext is null)
                {
                    s_added.Reset();
                }
            }
            if (untilNext is not { } ticks)
            {
                s_added.Wait();
                continue;
            }
            // Whole milliseconds, rounded up: never early, and no spinning below a millisecond.
            var sleep = Math.Min(ticks, s_longestSleepTicks);
            Thread.Sleep((int)Math.Ceiling(sleep * 1000.0 / Stopwatch.Frequency));
        }
    }

    /// <summary>Completes every wait that is due; returns the ticks until the next one, or null when none is left.</summary>
    private static long? CompleteDue()
    {
        var now = Stopwatch.GetTimestamp();
        while (s_waiting.TryPeek(out var waiter, out var due))
        {
            if (due > now)
            {
                return due - now;
            }
            s_waiting.Dequeue();
            waiter.TrySetResult();
        }
        return null;
    }
}
