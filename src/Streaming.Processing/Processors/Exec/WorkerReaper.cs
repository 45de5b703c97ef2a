using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// Makes workers die with their consumer, however it dies (kill -9 included): a small <c>sh</c> watchdog, in a session
/// of its own, reads the process groups of the live workers on its stdin ("+group:start" when one starts, "-group" when
/// it is reaped) and, when that pipe closes because the consumer is gone, SIGKILLs the groups still listed. (The
/// kernel's parent-death signal is no use here: it fires when the thread that started the worker ends, and .NET
/// starts processes from pool threads that come and go.)
/// </summary>
internal sealed class WorkerReaper
{
    /// <summary>Lines "+id:start" and "-id"; before a kill, a process with the group's number that started at another
    /// moment than the worker is not the worker (<see cref="WorkerGroup"/>), and its group is left alone.</summary>
    internal const string Script = """
        groups=' '
        while IFS= read -r word; do
          case $word in
            +*) groups="$groups${word#+} " ;;
            -*) kept=' '; for g in $groups; do [ "${g%%:*}" = "${word#-}" ] || kept="$kept$g "; done; groups=$kept ;;
          esac
        done
        for g in $groups; do
          id=${g%%:*}; start=${g#*:}
          if stat=$(cat "/proc/$id/stat" 2>/dev/null); then
            set -- ${stat##*") "}
            shift 19
            [ "$1" = "$start" ] || continue
          fi
          kill -s KILL -- "-$id" 2>/dev/null
        done
        """;

    private static readonly Lazy<WorkerReaper?> s_shared = new(Start);
    private readonly Process _watchdog;
    private readonly Lock _lock = new();
    private bool _broken;

    private WorkerReaper(Process watchdog) => _watchdog = watchdog;

    /// <summary>The process's watchdog, started with the first worker; null where there is none to be had (no
    /// <c>sh</c> or <c>setsid</c>): workers then still die with their consumer when they next read or write.</summary>
    public static WorkerReaper? Shared => s_shared.Value;

    /// <summary>The program that starts a worker in a session (and process group) of its own, when there is one.</summary>
    public static string? SetsidPath { get; } = OperatingSystem.IsLinux() && File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

    public void Watch(WorkerGroup group) => Send("+" + group.ReaperKey);

    public void Forget(WorkerGroup group) => Send("-" + group.Id.ToString(CultureInfo.InvariantCulture));

    private void Send(string word)
    {
        var line = Encoding.ASCII.GetBytes(word + "\n");
        lock (_lock)
        {
            if (_broken)
            {
                return;
            }
            try
            {
                // A few bytes to a pipe that the watchdog drains at once: it never fills.
                _watchdog.StandardInput.BaseStream.Write(line);
                _watchdog.StandardInput.BaseStream.Flush();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                _broken = true;     // the watchdog was killed: workers are stopped by the consumer alone
            }
        }
    }

    private static WorkerReaper? Start()
    {
        if (SetsidPath is null || !File.Exists("/bin/sh"))
        {
            return null;
        }
        var info = new ProcessStartInfo(SetsidPath)
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["/bin/sh", "-c", Script])
        {
            info.ArgumentList.Add(argument);
        }
        ExecEnvironment.Scrub(info.Environment);
        try
        {
            return Process.Start(info) is { } process ? new WorkerReaper(process) : null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}
