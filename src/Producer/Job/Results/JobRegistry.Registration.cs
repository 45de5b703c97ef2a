using Streaming.Messaging.Contract;

namespace Streaming.Producer.Job.Results;

internal sealed partial class JobRegistry
{
    /// <summary>One job's place in the registry. Ending it stops routing results to the job and waits for the ones being
    /// handled: after that, nothing of the inbox touches the job's state or output.</summary>
    internal sealed class Registration : IAsyncDisposable
    {
        /// <summary>How long disposing (a job that failed) waits for a result being handled; a handler paused on a full
        /// disk ends with the job's cancellation.</summary>
        private static readonly TimeSpan s_disposeWait = TimeSpan.FromSeconds(10);

        private readonly JobRegistry _registry;
        private int _inFlight;
        private bool _ended;
        private TaskCompletionSource? _drained;

        internal Registration(JobRegistry registry, Guid jobId, IResultsHandler handler)
        {
            _registry = registry;
            JobId = jobId;
            Handler = handler;
        }

        public Guid JobId { get; }

        internal IResultsHandler Handler { get; }

        /// <summary>Stops routing results to the job; returns once no result of it is being handled.</summary>
        public Task EndAsync(CancellationToken cancellationToken)
        {
            Task drained;
            lock (_registry._lock)
            {
                if (!_ended)
                {
                    _ended = true;
                    _registry._jobs.Remove(JobId);
                }
                drained = _inFlight == 0
                    ? Task.CompletedTask
                    : (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            return drained.WaitAsync(cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await EndAsync(CancellationToken.None).WaitAsync(s_disposeWait);
            }
            catch (TimeoutException)
            {
                // The job failed; a result still being handled fails with its output, goes back and is dropped.
            }
        }

        /// <summary>Under the registry's lock.</summary>
        internal void Enter() => _inFlight++;

        internal void Exit()
        {
            lock (_registry._lock)
            {
                if (--_inFlight == 0 && _ended)
                {
                    _drained?.TrySetResult();
                }
            }
        }
    }

    /// <summary>A result being handled by its job; dispose it once the result is acknowledged or sent back.</summary>
    internal sealed class ClaimedJob(Registration registration, LineResult result) : IDisposable
    {
        private int _disposed;

        public IResultsHandler Handler => registration.Handler;

        /// <summary>The result, decoded, over the delivery's body.</summary>
        public LineResult Result => result;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                registration.Exit();
            }
        }
    }
}
