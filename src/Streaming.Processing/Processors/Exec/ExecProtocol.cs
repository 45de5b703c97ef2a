namespace Streaming.Consumer.Processors.Exec;

/// <summary>How a command's workers answer: learned once per command and shared by all its slots.</summary>
internal enum WorkerProtocol
{
    /// <summary>Not known yet: a fresh worker is given <see cref="ExecProtocol.HelloPatience"/> to say hello before
    /// any line is sent.</summary>
    Unknown,

    /// <summary>Each output line is the answer; nothing is waited for before the first line.</summary>
    Plain,

    /// <summary>Every worker writes <see cref="ExecWorker.FramedHello"/> before it is sent a line.</summary>
    Framed,
}

/// <summary>
/// What one <c>exec:</c> command's workers have shown so far, shared by the processor's slots: which protocol they
/// speak (<see cref="WorkerProtocol"/>), and how many lines in a row failed alone on fresh workers. A command that
/// fails <see cref="FailingStreak"/> lines in a row that way is failing whatever the line (it buffers its output, it
/// dies soon after start): its other suspect lines fail at once instead of each costing a worker and a timeout.
/// </summary>
internal sealed class ExecProtocol
{
    /// <summary>How long a fresh worker of a command whose protocol is not known yet may take to say hello.</summary>
    public static readonly TimeSpan HelloPatience = TimeSpan.FromSeconds(1);

    public const int FailingStreak = 3;

    private int _mode = (int)WorkerProtocol.Unknown;
    private int _loneFailures;
    private string? _lastLoneFailure;
    private bool _plainAnswered;
    private bool _waitsForInputWhenIdle;

    public WorkerProtocol Mode => (WorkerProtocol)Volatile.Read(ref _mode);

    /// <summary>Set once, from <see cref="WorkerProtocol.Unknown"/>.</summary>
    public void Learn(WorkerProtocol mode) => Interlocked.CompareExchange(ref _mode, (int)mode, (int)WorkerProtocol.Unknown);

    /// <summary>A fresh worker of a command taken as plain (none said hello within the patience) wrote the hello as
    /// its first output: the command is framed and slow to start (true), unless a plain answer was ever taken from it
    /// (false: it is plain, and the hello was only an answer that the worker was out of step to write).</summary>
    public bool HelloAfterPatience()
    {
        if (Volatile.Read(ref _plainAnswered))
        {
            return false;
        }
        Interlocked.CompareExchange(ref _mode, (int)WorkerProtocol.Framed, (int)WorkerProtocol.Plain);
        return true;
    }

    /// <summary>True once a worker of the command was seen asleep in a read of its input (before its first line, or
    /// after its last answer): its workers read their input on their main thread, so one asleep on anything else after
    /// its last answer is still at work on a line (<see cref="ExecWorker.CheckQuietAsync"/>).</summary>
    public bool WaitsForInputWhenIdle => Volatile.Read(ref _waitsForInputWhenIdle);

    public void SawWaitingForInput()
    {
        if (!_waitsForInputWhenIdle)
        {
            Volatile.Write(ref _waitsForInputWhenIdle, true);
        }
    }

    public void PlainAnswered()
    {
        if (!_plainAnswered)
        {
            Volatile.Write(ref _plainAnswered, true);
        }
    }

    /// <summary>True while the last <see cref="FailingStreak"/> lines run alone on fresh workers all failed.</summary>
    public bool IsFailing => Volatile.Read(ref _loneFailures) >= FailingStreak;

    /// <summary>Why the last line alone on a fresh worker failed, for the lines failed without a try.</summary>
    public string FailingReason =>
        $"{Volatile.Read(ref _lastLoneFailure)} (not run alone: the command failed {FailingStreak} lines in a row, each alone on a fresh worker)";

    public void LoneLineFailed(string reason)
    {
        Volatile.Write(ref _lastLoneFailure, reason);
        Interlocked.Increment(ref _loneFailures);
    }

    /// <summary>A worker answered a line: the command works.</summary>
    public void Answered()
    {
        if (Volatile.Read(ref _loneFailures) != 0)
        {
            Volatile.Write(ref _loneFailures, 0);
        }
    }
}
