namespace Streaming.Producer.Job.Results;

/// <summary>
/// When to give a results queue up: after <see cref="BeforeMoving"/> probes in a row that it did not answer while the
/// connection was open. A closed connection starts the count again: its recovery comes first, and a probe then says
/// nothing about the queue.
/// </summary>
internal sealed class UnansweredProbes
{
    /// <summary>Unanswered probes in a row after which the queue is given up.</summary>
    public const int BeforeMoving = 3;

    private int _inARow;

    public void ConnectionClosed() => _inARow = 0;

    /// <summary>Counts one probe; true when the queue is to be given up.</summary>
    public bool ShouldMove(bool answered)
    {
        _inARow = answered ? 0 : _inARow + 1;
        return _inARow >= BeforeMoving;
    }

    /// <summary>The job moved to a fresh queue (or stays, when a move failed it tries again at the next probe).</summary>
    public void Moved() => _inARow = 0;
}
