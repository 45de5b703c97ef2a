namespace Streaming.Consumer.Processing;

/// <summary>The queue a delivery came from, for <see cref="QuarantineRules"/>.</summary>
internal enum DeliverySource
{
    /// <summary>The work queue: batches as the producer cut them, processed side by side.</summary>
    Work,

    /// <summary>The quarantine: batches that came back from a consumer, processed alone.</summary>
    Quarantine,

    /// <summary>Batches the broker dead-lettered after its delivery limit.</summary>
    DeliveryLimit,
}
