using System.Globalization;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// What Linux's <c>/proc</c> says about a worker's process group: whether every member is asleep, and how much CPU the
/// group has used. A worker asleep with no CPU used between two looks is waiting for something (its first line, as a
/// rule); one that runs or waits for the CPU is still starting, however long a loaded machine makes that take.
/// </summary>
internal static class ProcessGroupActivity
{
    /// <summary>The group's state now; null where <c>/proc</c> cannot tell (not Linux, or no member found).</summary>
    public static GroupActivity? Sample(int groupId)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var members = 0;
        var allAsleep = true;
        long cpuTicks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                || ProcStat.Read(directory) is not { } stat
                || stat.GroupId != groupId)
            {
                continue;
            }
            members++;
            allAsleep &= stat.State == 'S';
            cpuTicks += stat.CpuTicks;
        }
        return members == 0 ? null : new GroupActivity(allAsleep, cpuTicks);
    }
}

/// <summary>A process group at one look: every member asleep, and the CPU clock ticks the members have used.</summary>
internal readonly record struct GroupActivity(bool AllAsleep, long CpuTicks);
