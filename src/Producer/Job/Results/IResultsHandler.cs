using Streaming.Messaging.Contract;

namespace Streaming.Producer.Job.Results;

/// <summary>What the results inbox hands on to one registered job: each result message for it, and what becomes of
/// the queue its batches answer to.</summary>
internal interface IResultsHandler
{
    /// <summary>Writes or holds one result, decoded by the inbox over the delivery's body (what is held is copied);
    /// returns a reason when it must be dead-lettered.</summary>
    /// <exception cref="Exception">It cannot be handled now: it goes back to the queue and comes again.</exception>
    Task<string?> AcceptAsync(LineResult result, CancellationToken deliveryCancelled);

    /// <summary>Saves a checkpoint when one is due (before the result is acknowledged); true when one was saved.</summary>
    Task<bool> CheckpointIfDueAsync();

    /// <summary>From now on the job's batches answer to <paramref name="queue"/>.</summary>
    void MovedTo(string queue);

    /// <summary>Results of the batches still out may be lost (their queue was declared again, or given up): they are to be
    /// published again.</summary>
    void ResultsMayBeLost();
}
