using System.Runtime.InteropServices;

namespace Streaming.Producer.Cli;

/// <summary>
/// SIGINT and SIGTERM for <c>publish</c>: the first of either stops the jobs (<see cref="Stop"/>), keeping their
/// checkpoints; a second SIGINT cancels them instead (<see cref="CancelledAsync"/>). A stop by SIGINT waits
/// <see cref="SecondInterruptWait"/> for that second one before it exits, since a process that exits at once would
/// leave it to the shell; a stop by SIGTERM (a supervisor) or by the caller's token does not.
/// </summary>
internal sealed class PublishInterrupts : IDisposable
{
    public static readonly TimeSpan SecondInterruptWait = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop;
    private readonly TaskCompletionSource _interruptedTwice = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private volatile bool _stoppedByInterrupt;

    public PublishInterrupts(CancellationToken stop)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            if (_stop.IsCancellationRequested)
            {
                _interruptedTwice.TrySetResult();
                return;
            }
            _stoppedByInterrupt = true;
            _stop.Cancel();
        });
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _stop.Cancel();
        });
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM, or the caller's token.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>After the stop: true when a second SIGINT came, or comes within <see cref="SecondInterruptWait"/>
    /// of a stop by SIGINT.</summary>
    public async Task<bool> CancelledAsync()
    {
        if (_interruptedTwice.Task.IsCompleted || !_stoppedByInterrupt)
        {
            return _interruptedTwice.Task.IsCompleted;
        }
        var waited = Task.Delay(SecondInterruptWait);
        return await Task.WhenAny(_interruptedTwice.Task, waited) == _interruptedTwice.Task;
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
