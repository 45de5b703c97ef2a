using Microsoft.Extensions.Time.Testing;
using Streaming.Consumer.Processors.Exec;

namespace Streaming.UnitTests.Processing.Processors.Exec;

/// <summary>
/// The start-up check's "is it waiting for its first line?" look at the worker's group in <c>/proc</c>. In CI a command
/// that exits with code 3 after 1.5 s passed the check once: the runtime had reaped it, so its group had no member
/// left, and "no member" was read as "waiting" before its end of output was read.
/// </summary>
public sealed class ExecStartupCheckTests
{
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task WaitingAsync_TheGroupIsGone_IsNotTakenForWaitingUntilMaxPatience()
    {
        var time = new FakeTimeProvider();

        var waiting = ExecStartupCheck.WaitingAsync(1, static _ => null, time);

        await AdvanceAsync(time, ExecStartupCheck.MaxPatience - s_step, waiting);
        Assert.False(waiting.IsCompleted, "a worker with no process left is not waiting for a line");
        await AdvanceAsync(time, 3 * s_step, waiting);
        Assert.True(waiting.IsCompleted, "the look is bounded by MaxPatience");
    }

    [Fact]
    public async Task WaitingAsync_AsleepWithoutCpuOnTwoLooks_IsWaitingSoonAfterPatience()
    {
        var time = new FakeTimeProvider();

        var waiting = ExecStartupCheck.WaitingAsync(1, static _ => new GroupActivity(AllAsleep: true, CpuTicks: 7), time);

        await AdvanceAsync(time, ExecStartupCheck.Patience + TimeSpan.FromMilliseconds(250), waiting);
        Assert.True(waiting.IsCompleted);
    }

    [Fact]
    public async Task WaitingAsync_BusyStarting_IsNotTakenForWaitingUntilMaxPatience()
    {
        var time = new FakeTimeProvider();
        var ticks = 0L;

        var waiting = ExecStartupCheck.WaitingAsync(1, _ => new GroupActivity(AllAsleep: true, CpuTicks: ++ticks), time);

        await AdvanceAsync(time, ExecStartupCheck.MaxPatience - s_step, waiting);
        Assert.False(waiting.IsCompleted, "a worker using CPU is still starting");
        await AdvanceAsync(time, 3 * s_step, waiting);
        Assert.True(waiting.IsCompleted);
    }

    /// <summary>Moves the clock in small steps, letting the look's continuations run after each.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan by, Task waiting)
    {
        for (var moved = TimeSpan.Zero; moved < by && !waiting.IsCompleted; moved += s_step)
        {
            time.Advance(s_step);
            await Task.Delay(5);
        }
    }
}
