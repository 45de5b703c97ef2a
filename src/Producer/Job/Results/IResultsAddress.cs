namespace Streaming.Producer.Job.Results;

/// <summary>The results queue of this process, read where it is needed rather than handed on: the reply-to of each batch
/// as it is published, and the queue each checkpoint names. It changes when the inbox moves to a fresh queue.</summary>
internal interface IResultsAddress
{
    /// <summary>The queue the batches of this process answer to now.</summary>
    string Queue { get; }
}
