using System.Globalization;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// A worker's process group (the worker leads it: the group's number is the worker's pid), signalled only while that
/// number cannot name another group. The runtime reaps an exited worker at once, and a number is free again once no
/// process uses it as its pid or its group: a worker that died while its slot was idle, and is disposed only when the
/// next batch comes, hours later, could otherwise have its SIGKILL land on whatever group leader got the number since
/// (<c>pid_max</c> is 32,768 on many hosts; CI here wraps it in about 6 minutes). So: a process with the worker's pid
/// that started at another moment is not the worker, and its group is left alone; no process with that pid means the
/// number is held only by what the worker left in its group (the kernel never hands out a number that still names a
/// group), or by nothing.
/// </summary>
internal readonly record struct WorkerGroup(int Id, long? StartTicks)
{
    /// <summary>The group of the process <paramref name="pid"/>, read right after it started.</summary>
    public static WorkerGroup Of(int pid) => new(pid, ProcStat.Read(pid)?.StartTicks);

    /// <summary>True unless the worker's pid now belongs to a process that is not the worker.</summary>
    public bool IsStillTheWorkers => ProcStat.Read(Id) is not { } now || now.StartTicks == StartTicks;

    public void Terminate()
    {
        if (IsStillTheWorkers)
        {
            PosixSignals.TerminateGroup(Id);
        }
    }

    public void Kill()
    {
        if (IsStillTheWorkers)
        {
            PosixSignals.KillGroup(Id);
        }
    }

    /// <summary>What the reaper is told: "id:start" (start empty when it was not known).</summary>
    public string ReaperKey => string.Create(CultureInfo.InvariantCulture, $"{Id}:{StartTicks}");
}
