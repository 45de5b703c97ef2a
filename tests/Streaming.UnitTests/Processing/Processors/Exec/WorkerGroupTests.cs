using System.Diagnostics;
using System.Globalization;
using Streaming.Consumer.Processors.Exec;

namespace Streaming.UnitTests.Processing.Processors.Exec;

/// <summary>
/// A worker's group number is its pid, and the runtime reaps an exited worker at once: by the time a worker that died
/// while its slot was idle is disposed, or its consumer dies, the number may belong to another process that leads its
/// own group (pid_max is 32,768 here, and CI wraps it in minutes). Neither the worker nor the reaper's watchdog may
/// signal that group. A process whose start time is not the worker's stands for the process that got the number.
/// </summary>
public sealed class WorkerGroupTests
{
    private static readonly TimeSpan s_exit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Kill_ThePidNowBelongsToAProcessThatStartedAtAnotherMoment_ItsGroupIsLeftAlone()
    {
        using var other = StartGroupLeader();
        var real = WorkerGroup.Of(other.Id);
        Assert.NotNull(real.StartTicks);
        var stale = real with { StartTicks = real.StartTicks + 1 };

        stale.Terminate();
        stale.Kill();

        Assert.False(stale.IsStillTheWorkers);
        Assert.False(await ExitsWithinAsync(other, TimeSpan.FromSeconds(1)), "a stale group's signal reached another process");
        real.Kill();
        Assert.True(await ExitsWithinAsync(other, s_exit), "the worker's own group must still be killed");
    }

    [Fact]
    public async Task ReaperScript_ConsumerGone_KillsTheWorkersGroupsButNotOneWhoseNumberWasTakenSince()
    {
        using var worker = StartGroupLeader();
        using var forgotten = StartGroupLeader();
        using var other = StartGroupLeader();
        var stale = WorkerGroup.Of(other.Id) with { StartTicks = WorkerGroup.Of(other.Id).StartTicks + 1 };
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(WorkerReaper.Script);
        using var watchdog = Process.Start(info)!;

        await watchdog.StandardInput.WriteAsync(
            $"+{WorkerGroup.Of(worker.Id).ReaperKey}\n+{WorkerGroup.Of(forgotten.Id).ReaperKey}\n+{stale.ReaperKey}\n" +
            string.Create(CultureInfo.InvariantCulture, $"-{forgotten.Id}\n"));
        watchdog.StandardInput.Close();     // the consumer is gone

        Assert.True(await ExitsWithinAsync(watchdog, s_exit));
        Assert.True(await ExitsWithinAsync(worker, s_exit), "a live worker's group must be killed");
        Assert.False(forgotten.HasExited, "a worker forgotten (reaped) must not be signalled");
        Assert.False(other.HasExited, "the group of a process that took a worker's number must not be signalled");
        forgotten.Kill();
        other.Kill();
    }

    /// <summary>A process in a session and group of its own, as a worker is (setsid execs it in place).</summary>
    private static Process StartGroupLeader()
    {
        var info = new ProcessStartInfo("/usr/bin/setsid") { UseShellExecute = false };
        foreach (var argument in (string[])["--", "sleep", "120"])
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info)!;
        Assert.True(SpinWait.SpinUntil(() => ProcStat.Read(process.Id)?.GroupId == process.Id, s_exit), "setsid did not make it a group leader");
        return process;
    }

    private static async Task<bool> ExitsWithinAsync(Process process, TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
