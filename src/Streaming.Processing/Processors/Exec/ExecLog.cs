using Microsoft.Extensions.Logging;

namespace Streaming.Consumer.Processors.Exec;

internal static partial class ExecLog
{
    [LoggerMessage(EventId = 260, Level = LogLevel.Information, Message = "Started exec worker {Pid}: {Command}")]
    public static partial void Started(ILogger logger, int pid, string command);

    [LoggerMessage(EventId = 261, Level = LogLevel.Warning,
        Message = "Exec worker {Pid} replaced with {Outstanding} lines outstanding ({Reason}); they go again one at a time, each checked on its own")]
    public static partial void OutOfStep(ILogger logger, int pid, string reason, int outstanding);

    [LoggerMessage(EventId = 262, Level = LogLevel.Warning, Message = "A line failed alone on a fresh exec worker too: {Reason}")]
    public static partial void LineFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 263, Level = LogLevel.Warning, Message = "exec worker {Pid} stderr: {Line}")]
    public static partial void Stderr(ILogger logger, int pid, string line);

    [LoggerMessage(EventId = 264, Level = LogLevel.Warning,
        Message = "exec worker {Pid} stderr: {Suppressed} lines not logged (more than the rate limit)")]
    public static partial void StderrSuppressed(ILogger logger, int pid, long suppressed);

    [LoggerMessage(EventId = 265, Level = LogLevel.Error, Message = "Cannot start the exec command: {Reason}")]
    public static partial void CannotStart(ILogger logger, string reason);

    [LoggerMessage(EventId = 266, Level = LogLevel.Warning,
        Message = "Exec worker {Pid} did not exit within {GraceSeconds} s of SIGTERM; killed")]
    public static partial void KilledAfterGrace(ILogger logger, int pid, double graceSeconds);
}
