namespace Streaming.Consumer.Processing;

/// <summary>
/// The quarantine, split and poison rules, as values in and a decision out (the AMQP side is
/// <see cref="DeliveryHandler"/>'s). A batch that comes back from a consumer that died or stalled is quarantined;
/// quarantined batches run alone and are split in halves when they come back again, down to single lines; a single
/// line that comes back <see cref="PoisonLineDeliveries"/> times is failed alone, so its neighbours succeed.
/// </summary>
internal static class QuarantineRules
{
    /// <summary>A single quarantined line is failed once it has come back this many times.</summary>
    public const int PoisonLineDeliveries = 2;

    /// <summary>The decision for one delivery.</summary>
    /// <param name="source">The queue it came from.</param>
    /// <param name="lineCount">The lines of the batch (part); unused for a redelivery from the work queue, which is
    /// quarantined before it is decoded.</param>
    /// <param name="redelivered">The broker's redelivered flag: a consumer held it and did not ack it.</param>
    /// <param name="returns">Its returns (<see cref="Returns"/>).</param>
    /// <param name="stopping">This consumer is stopping and takes no new work.</param>
    public static DeliveryDecision Decide(DeliverySource source, int lineCount, bool redelivered, long returns, bool stopping)
    {
        switch (source)
        {
            case DeliverySource.Work when redelivered:
                return new(DeliveryAction.Quarantine);
            case DeliverySource.Work:
                return new(stopping ? DeliveryAction.HandBack : DeliveryAction.Process);
            case DeliverySource.DeliveryLimit:
                // The broker dead-letters it without counting a return of ours: count that one, and let the
                // quarantine split it or fail it as poison.
                return new(DeliveryAction.Requeue, returns + 1);
            case DeliverySource.Quarantine when redelivered && lineCount > 1:
                return new(DeliveryAction.Split);
            case DeliverySource.Quarantine when returns >= PoisonLineDeliveries:
                return new(DeliveryAction.FailAsPoison, returns);
            case DeliverySource.Quarantine when redelivered:
                return new(DeliveryAction.Requeue, returns);
            case DeliverySource.Quarantine:
                return new(stopping ? DeliveryAction.HandBack : DeliveryAction.ProcessAlone);
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source, null);
        }
    }

    /// <summary>How many times a message came back from a consumer that held it: the returns counted in its header
    /// (<paramref name="counted"/>, anything out of range read as none), plus this delivery when redelivered.</summary>
    public static long Returns(object? counted, bool redelivered)
    {
        long returns = counted switch
        {
            long l and >= 0 and < 1000 => l,
            int i and >= 0 and < 1000 => i,
            _ => 0,
        };
        return returns + (redelivered ? 1 : 0);
    }

    /// <summary>The lines of each half of a split: the first half is the smaller one.</summary>
    public static (int First, int Second) SplitSizes(int lineCount) => (lineCount / 2, lineCount - (lineCount / 2));

    /// <summary>Where a delivery given back goes, and with which returns: a batch that came back to the work queue
    /// goes on to the quarantine, as it was about to; any other stays in its queue with the returns it had.</summary>
    public static (DeliverySource Target, long Returns) HandBackTarget(DeliverySource source, bool redelivered, long returns) =>
        source == DeliverySource.Work && redelivered ? (DeliverySource.Quarantine, 0L) : (source, returns);
}
