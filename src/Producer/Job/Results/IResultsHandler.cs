using Streaming.Messaging.Contract;

namespace Streaming.Producer.Job.Results;

/// <summary>What the results inbox hands on to one registered job: each result for it.</summary>
internal interface IResultsHandler
{
    /// <summary>Writes or holds one result, decoded by the inbox over the delivery's body (what is held is copied), and
    /// saves a checkpoint when one is due: all before the result is acknowledged. Returns a reason when it must be
    /// dead-lettered.</summary>
    /// <exception cref="Exception">It cannot be handled now: it goes back to the queue and comes again.</exception>
    Task<string?> HandleAsync(LineResult result, CancellationToken deliveryCancelled);
}
