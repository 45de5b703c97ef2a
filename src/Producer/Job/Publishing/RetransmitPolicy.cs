namespace Streaming.Producer.Job.Publishing;

/// <summary>When the batches out are published again, and when one is given up on (<see cref="Retransmitter"/>).</summary>
/// <param name="After">No progress for this long while batches are out: publish them again (the wait then doubles).</param>
/// <param name="GiveUpAfter">Retransmissions with consumers attached after which the next batch's lines fail.</param>
internal sealed record RetransmitPolicy(TimeSpan After, int GiveUpAfter);
