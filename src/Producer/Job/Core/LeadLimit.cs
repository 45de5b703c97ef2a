namespace Streaming.Producer.Job.Core;

/// <summary>
/// How many batches a job may have out, in time rather than in count: every job shares its pipeline's one work queue,
/// so whatever a big job has queued is work a small job dropped beside it waits behind. A fixed window of 32 batches is
/// ~30 ms of work for identity but ~2 s for sha256:100. The limit is the batches the fleet writes in
/// <c>max(lead, 2 × a batch's own round trip)</c> at the best rate this job has seen: the lead bounds the wait of a
/// newcomer, and twice the round trip keeps the consumers busy (as a congestion window of twice the bandwidth-delay
/// product does). A batch's own round trip is its time out less its wait behind the batches published before it
/// (their count over the rate): what a job that keeps the queue full measures is mostly its own queueing.
/// The rate only rises and the round trip only falls over the job's life, so a rate measured under the limit can only
/// keep or raise it: it never starves the job. Until 41 batches are written it is the window itself.
/// </summary>
internal sealed class LeadLimit
{
    /// <summary>Written batches the rate is measured over (after the first <see cref="MinimumBatches"/>): enough to smooth
    /// the bursts the reorder buffer releases when a late batch arrives.</summary>
    internal const int RateSpan = 32;

    /// <summary>The fewest batches a job may have out whatever the limit says (the default fleet's prefetch).</summary>
    internal const int MinimumBatches = 8;

    private readonly TimeProvider _time;
    private readonly double _leadSeconds;
    private readonly long[] _writtenAt = new long[RateSpan];
    /// <summary>Per batch out (by sequence, modulo the window): the batches out before it when it was published.</summary>
    private readonly int[] _aheadAtPublish;
    private long _written;
    private double _bestRate;
    private double _ownRoundTrip = double.MaxValue;

    /// <param name="window">The job's window: the limit is never above it.</param>
    /// <param name="lead">The work a newcomer should find queued ahead of it at most.</param>
    public LeadLimit(int window, TimeSpan lead, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lead, TimeSpan.Zero);
        Window = window;
        Batches = window;
        _leadSeconds = lead.TotalSeconds;
        _time = time;
        _aheadAtPublish = new int[window];
    }

    public int Window { get; }

    /// <summary>Batches the job may have out now (at least <see cref="MinimumBatches"/>, at most the window).</summary>
    public int Batches { get; private set; }

    /// <summary>Batch <paramref name="sequence"/> goes out with <paramref name="ahead"/> batches out before it.</summary>
    public void Published(long sequence, int ahead) => _aheadAtPublish[sequence % Window] = ahead;

    /// <summary>Called by one thread at a time (the job's collector), for each batch written in order.</summary>
    /// <param name="publishedAt">The batch's <see cref="TimeProvider.GetTimestamp"/> when it was published.</param>
    public void Written(long sequence, long publishedAt)
    {
        var now = _time.GetTimestamp();
        var roundTrip = _time.GetElapsedTime(publishedAt, now).TotalSeconds;
        var ahead = _aheadAtPublish[sequence % Window];
        if (ahead == 0 || _bestRate > 0)
        {
            var queued = ahead == 0 ? 0 : ahead / _bestRate;
            _ownRoundTrip = Math.Min(_ownRoundTrip, Math.Max(roundTrip - queued, 0));
        }
        // The first batches of a job are processed side by side and all come back at once: no rate to go by.
        if (++_written <= MinimumBatches)
        {
            return;
        }
        var timed = _written - MinimumBatches - 1;
        var oldest = _writtenAt[timed % RateSpan];
        _writtenAt[timed % RateSpan] = now;
        if (timed < RateSpan)
        {
            return;
        }
        var span = _time.GetElapsedTime(oldest, now).TotalSeconds;
        _bestRate = span > 0 ? Math.Max(_bestRate, RateSpan / span) : double.PositiveInfinity;
        var horizon = Math.Max(_leadSeconds, 2 * _ownRoundTrip);
        var batches = Math.Ceiling(_bestRate * horizon);
        Batches = batches < Window ? (int)Math.Max(batches, Math.Min(MinimumBatches, Window)) : Window;
    }
}
