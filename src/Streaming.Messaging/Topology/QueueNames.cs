namespace Streaming.Messaging.Topology;

/// <summary>Queue names; <see cref="Work"/> and <see cref="Dead"/> are part of the public interface. <see cref="Work"/>,
/// <see cref="Quarantine"/> and <see cref="DeliveryLimit"/> are the default pipeline's: the services use a
/// <see cref="PipelineQueues"/> for them.</summary>
internal static class QueueNames
{
    /// <summary>The default pipeline's work queue, which its consumers compete on.</summary>
    public const string Work = "streaming.lines";

    /// <summary>Batches that came back from a consumer that died or stalled; processed one at a time, split down to single lines.</summary>
    public const string Quarantine = "streaming.quarantine";

    /// <summary>Dead letters: messages a service cannot use, with a reason header; left there for people to look at.</summary>
    public const string Dead = "streaming.dead";

    /// <summary>Batches the broker dead-lettered from <see cref="Work"/> or <see cref="Quarantine"/> after its delivery
    /// limit. Consumers move them back to <see cref="Quarantine"/>, counting the return, so their file still finishes.</summary>
    public const string DeliveryLimit = "streaming.delivery-limit";

    /// <summary>A results queue's name is this prefix plus an id (<see cref="ResultsQueue"/>).</summary>
    public const string ResultsPrefix = "streaming.results.";

    /// <summary>The fanout exchange where producers announce cancelled jobs; declared by the producer.</summary>
    public const string CancelExchange = "streaming.cancel";

    /// <summary>Each consumer connection's own exclusive, auto-delete queue bound to <see cref="CancelExchange"/> is
    /// this prefix plus a guid of the connection.</summary>
    public const string CancelListenerPrefix = "streaming.cancel-listener.";

    public static string CancelListenerFor(Guid listener) => CancelListenerPrefix + listener.ToString("N");

    /// <summary>The results queue with this id: one per producer process (its results inbox draws a fresh id for each
    /// queue it declares). Checkpoints written before the inbox existed name no queue: theirs was the job's id.</summary>
    public static string ResultsQueue(Guid id) => ResultsPrefix + id.ToString("N");

    /// <summary>True for a name a results queue could have; a batch may only ask for its results to go there.</summary>
    public static bool IsResultsQueue(string? name) =>
        name is not null
        && name.Length == ResultsPrefix.Length + 32
        && name.StartsWith(ResultsPrefix, StringComparison.Ordinal)
        && Guid.TryParseExact(name.AsSpan(ResultsPrefix.Length), "N", out _);
}
