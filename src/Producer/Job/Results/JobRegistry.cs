using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Core;

namespace Streaming.Producer.Job.Results;

/// <summary>
/// The jobs the results queue of this process answers for, by job id: a result goes to the job its header names
/// (<see cref="Claim"/>), a result for a job that is not registered (a late duplicate of a finished job) is only
/// counted. The queue the results come from is no business of the registry: each job reads it from the inbox
/// (<see cref="IResultsAddress"/>) where it needs it.
/// </summary>
internal sealed partial class JobRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, Registration> _jobs = [];
    private long _unclaimed;

    /// <summary>Results dropped because their job was not registered (finished, or never of this process).</summary>
    public long Unclaimed => Interlocked.Read(ref _unclaimed);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _jobs.Count;
            }
        }
    }

    /// <summary>Routes the results of <paramref name="jobId"/> to <paramref name="handler"/> until the registration is
    /// ended; before the job publishes its first batch.</summary>
    /// <exception cref="InvalidOperationException">The job is registered already.</exception>
    public Registration Register(Guid jobId, IResultsHandler handler)
    {
        lock (_lock)
        {
            var registration = new Registration(this, jobId, handler);
            if (!_jobs.TryAdd(jobId, registration))
            {
                throw new InvalidOperationException($"job {jobId} is already running in this process");
            }
            return registration;
        }
    }

    /// <summary>The result a message holds, decoded once here, with the handler of the job its header names, held until
    /// the claim is disposed (ending the registration waits for it). Null when the message is malformed
    /// (<paramref name="malformed"/> says why: it is dead-lettered, whoever it names) or its job is not registered (then
    /// it is counted as unclaimed: it is dropped). The result is a view over <paramref name="message"/>: it is valid
    /// while the delivery is being handled, and what the job keeps longer it copies.</summary>
    public ClaimedJob? Claim(ReadOnlyMemory<byte> message, out string? malformed)
    {
        malformed = null;
        LineResult result;
        try
        {
            result = LineResult.Decode(message, JobState.MaxResultLineBytes);
        }
        catch (MessageFormatException ex)
        {
            malformed = "malformed result: " + ex.Message;
            return null;
        }
        lock (_lock)
        {
            if (_jobs.TryGetValue(result.Header.JobId, out var registration))
            {
                registration.Enter();
                return new ClaimedJob(registration, result);
            }
        }
        Interlocked.Increment(ref _unclaimed);
        return null;
    }
}
