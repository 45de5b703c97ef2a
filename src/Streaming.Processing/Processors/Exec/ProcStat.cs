using System.Globalization;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>The fields of Linux's <c>/proc/N/stat</c> the exec processor reads: "pid (comm) state ppid pgrp … utime
/// stime … starttime …". The command name may hold spaces and parentheses, so the fields are counted from its last ')'.</summary>
internal readonly record struct ProcStat(char State, int GroupId, long CpuTicks, long StartTicks)
{
    /// <summary>The process's stat now; null when there is no such process (or no <c>/proc</c>).</summary>
    public static ProcStat? Read(int pid) => Read(Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The stat of the process whose <c>/proc</c> folder is <paramref name="directory"/>; null when it ended.</summary>
    public static ProcStat? Read(string directory)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(directory, "stat"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;    // the process ended (or the folder was listed as it did)
        }
        var fields = text[(text.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20
            || !int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var groupId)
            || !long.TryParse(fields[11], NumberStyles.Integer, CultureInfo.InvariantCulture, out var user)
            || !long.TryParse(fields[12], NumberStyles.Integer, CultureInfo.InvariantCulture, out var system)
            || !long.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }
        return new ProcStat(fields[0][0], groupId, user + system, start);
    }
}
