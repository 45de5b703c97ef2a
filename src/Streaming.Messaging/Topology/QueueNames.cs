namespace Streaming.Messaging.Topology;

/// <summary>Queue names; <see cref="Work"/> and <see cref="Dead"/> are part of the public interface.</summary>
public static class QueueNames
{
    /// <summary>The work queue every consumer competes on.</summary>
    public const string Work = "streaming.lines";

    /// <summary>Batches that came back from a consumer that died or stalled; processed one at a time, split down to single lines.</summary>
    public const string Quarantine = "streaming.quarantine";

    /// <summary>Dead letters: messages a service cannot use, with a reason header; left there for people to look at.</summary>
    public const string Dead = "streaming.dead";

    /// <summary>Batches the broker dead-lettered from <see cref="Work"/> or <see cref="Quarantine"/> after its delivery
    /// limit. Consumers move them back to <see cref="Quarantine"/>, counting the return, so their file still finishes.</summary>
    public const string DeliveryLimit = "streaming.delivery-limit";

    /// <summary>Each job's results queue is this prefix plus the job id.</summary>
    public const string ResultsPrefix = "streaming.results.";

    /// <summary>The fanout exchange where producers announce cancelled jobs; declared by the producer.</summary>
    public const string CancelExchange = "streaming.cancel";

    /// <summary>Each consumer connection's own exclusive, auto-delete queue bound to <see cref="CancelExchange"/> is
    /// this prefix plus a guid of the connection.</summary>
    public const string CancelListenerPrefix = "streaming.cancel-listener.";

    public static string CancelListenerFor(Guid listener) => CancelListenerPrefix + listener.ToString("N");

    public static string ResultsFor(Guid jobId) => ResultsPrefix + jobId.ToString("N");

    /// <summary>True for a name a results queue could have; a batch may only ask for its results to go there.</summary>
    public static bool IsResultsQueue(string? name) =>
        name is not null
        && name.Length == ResultsPrefix.Length + 32
        && name.StartsWith(ResultsPrefix, StringComparison.Ordinal)
        && Guid.TryParseExact(name.AsSpan(ResultsPrefix.Length), "N", out _);
}
