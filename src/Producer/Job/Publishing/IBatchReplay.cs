using Streaming.Producer.Job.Input;

namespace Streaming.Producer.Job.Publishing;

/// <summary>Where the <see cref="Retransmitter"/> gets the batches out again: the same bodies the job published first.</summary>
internal interface IBatchReplay
{
    /// <summary>Batches <paramref name="first"/> up to <paramref name="end"/> (excluded) as they were first published, in
    /// order; ends early at one the job no longer has out (the collector advanced meanwhile: nothing older is missing).</summary>
    IAsyncEnumerable<CutBatch> ReplayAsync(long first, long end, CancellationToken cancellationToken);
}
