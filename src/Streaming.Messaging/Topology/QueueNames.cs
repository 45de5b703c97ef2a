namespace Streaming.Messaging.Topology;

/// <summary>Queue names; <see cref="Work"/> and <see cref="Dead"/> are part of the public interface. <see cref="Work"/>,
/// <see cref="Quarantine"/> and <see cref="DeliveryLimit"/> are the default pipeline's: the services use a
/// <see cref="PipelineQueues"/> for them.</summary>
public static class QueueNames
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

    /// <summary>Each job's results queue is this prefix plus the job id.</summary>
    public const string ResultsPrefix = "streaming.results.";

    public static string ResultsFor(Guid jobId) => ResultsPrefix + jobId.ToString("N");

    /// <summary>True for a name a results queue could have; a batch may only ask for its results to go there.</summary>
    public static bool IsResultsQueue(string? name) =>
        name is not null
        && name.Length == ResultsPrefix.Length + 32
        && name.StartsWith(ResultsPrefix, StringComparison.Ordinal)
        && Guid.TryParseExact(name.AsSpan(ResultsPrefix.Length), "N", out _);
}
