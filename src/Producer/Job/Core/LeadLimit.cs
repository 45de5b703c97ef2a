namespace Streaming.Producer.Job.Core;

/// <summary>
/// How many batches a job may have out, in time rather than in count: every job shares its pipeline's one work queue,
/// so whatever a big job has queued is work a small job dropped beside it waits behind. A fixed window of 32 batches is
/// ~30 ms of work for identity but ~2 s for sha256:100. The limit is the batches the fleet writes in
/// <c>max(lead, 2 × fastest round trip)</c> at the best rate this job has seen: the lead bounds the wait of a newcomer,
/// and twice the round trip keeps the consumers busy (as a congestion window of twice the bandwidth-delay product does).
/// Both figures only improve over the job's life, so the limit never starves the job into a lower rate: a rate measured
/// under it can only keep or raise it. Until a few batches are written it is the window itself.
/// </summary>
internal sealed class LeadLimit
{
    /// <summary>Written batches the rate is measured over, and the fewest before the limit applies: enough to smooth the
    /// bursts the reorder buffer releases when a late batch arrives.</summary>
    internal const int RateSpan = 32;

    /// <summary>The fewest batches a job may have out whatever the limit says (the default fleet's prefetch).</summary>
    internal const int MinimumBatches = 8;

    private readonly TimeProvider _time;
    private readonly double _leadSeconds;
    private readonly long[] _writtenAt = new long[RateSpan];
    private long _written;
    private double _bestRate;
    private double _fastestRoundTrip = double.MaxValue;

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
    }

    public int Window { get; }

    /// <summary>Batches the job may have out now (at least <see cref="MinimumBatches"/>, at most the window).</summary>
    public int Batches { get; private set; }

    /// <summary>Called by one thread at a time (the job's collector), for each batch written in order.</summary>
    /// <param name="publishedAt">The batch's <see cref="TimeProvider.GetTimestamp"/> when it was published.</param>
    public void Written(long publishedAt)
    {
        var now = _time.GetTimestamp();
        _fastestRoundTrip = Math.Min(_fastestRoundTrip, _time.GetElapsedTime(publishedAt, now).TotalSeconds);
        var oldest = _writtenAt[_written % RateSpan];
        _writtenAt[_written % RateSpan] = now;
        _written++;
        if (_written <= RateSpan)
        {
            return;
        }
        var span = _time.GetElapsedTime(oldest, now).TotalSeconds;
        _bestRate = span > 0 ? Math.Max(_bestRate, RateSpan / span) : double.MaxValue;
        var horizon = Math.Max(_leadSeconds, 2 * _fastestRoundTrip);
        var batches = Math.Ceiling(_bestRate * horizon);
        Batches = batches < Window ? (int)Math.Max(batches, Math.Min(MinimumBatches, Window)) : Window;
    }
}
