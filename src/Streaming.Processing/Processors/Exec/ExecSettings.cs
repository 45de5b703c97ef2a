namespace Streaming.Consumer.Processors.Exec;

/// <summary>How <c>exec:</c> workers are run (from <see cref="ConsumerOptions"/>).</summary>
/// <param name="LineTimeout">No answer for this long while lines are outstanding: the worker is killed.</param>
/// <param name="StopGrace">Between SIGTERM and SIGKILL when a worker is stopped.</param>
/// <param name="LinesInFlight">Lines sent to one worker ahead of its answers, at most.</param>
/// <param name="MaxOutputLineBytes">A longer output line fails its line (and is never held whole).</param>
/// <param name="QuietFloor">After a worker's last answer of a batch, the least time to wait for output after it.</param>
internal sealed record ExecSettings(TimeSpan LineTimeout, TimeSpan StopGrace, int LinesInFlight, int MaxOutputLineBytes, TimeSpan QuietFloor)
{
    public static ExecSettings From(ConsumerOptions options) => new(
        TimeSpan.FromSeconds(options.ExecLineTimeoutSeconds),
        TimeSpan.FromSeconds(options.ExecStopGraceSeconds),
        options.ExecLinesInFlight,
        options.MaxLineBytes,
        TimeSpan.FromMilliseconds(options.ExecQuietMilliseconds));
}
