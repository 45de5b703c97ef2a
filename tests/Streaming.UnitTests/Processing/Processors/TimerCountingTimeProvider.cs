using Microsoft.Extensions.Time.Testing;

namespace Streaming.UnitTests.Processing.Processors;

/// <summary>The test clock, counting the timers made on it: a wait that should need no timer can be shown to make none.</summary>
internal sealed class TimerCountingTimeProvider : FakeTimeProvider
{
    private int _timersCreated;

    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timersCreated);
        return base.CreateTimer(callback, state, dueTime, period);
    }
}
