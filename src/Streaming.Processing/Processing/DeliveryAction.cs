namespace Streaming.Consumer.Processing;

/// <summary>What a consumer does with one delivery (<see cref="QuarantineRules.Decide"/>).</summary>
internal enum DeliveryAction
{
    /// <summary>Process it side by side with other batches, publish the result, ack.</summary>
    Process,

    /// <summary>Process it with no other batch in work (it may crash the process), publish the result, ack.</summary>
    ProcessAlone,

    /// <summary>It came back from a consumer that died, stalled or lost its connection: move it to the quarantine.</summary>
    Quarantine,

    /// <summary>A quarantined batch of several lines came back again: publish its two halves to the quarantine.</summary>
    Split,

    /// <summary>A single quarantined line came back too often: publish a failed result for it (a poison line).</summary>
    FailAsPoison,

    /// <summary>Publish it to the quarantine again with its returns counted (brokers differ on whether a return raises
    /// x-delivery-count).</summary>
    Requeue,

    /// <summary>This consumer is stopping: give it back as a fresh message, so it is not taken for a crash.</summary>
    HandBack,
}
