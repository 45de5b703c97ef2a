using Microsoft.Extensions.Time.Testing;
using Streaming.Producer.Job.Core;

namespace Streaming.UnitTests.Producer.Job.Core;

/// <summary>A job's batches out, bounded by the work they are at the fleet's best rate, never starving the job.</summary>
public sealed class LeadLimitTests
{
    private static readonly TimeSpan s_lead = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void Batches_FewerWrittenThanTheRateIsMeasuredOver_IsTheWindow()
    {
        var time = new FakeTimeProvider();
        var limit = new LeadLimit(window: 32, s_lead, time);

        Write(limit, time, LeadLimit.MinimumBatches + LeadLimit.RateSpan, every: TimeSpan.FromMilliseconds(100), roundTrip: TimeSpan.FromMilliseconds(100));

        Assert.Equal(32, limit.Batches);
    }

    [Fact]
    public void Batches_SlowBatches_AreTheBatchesTheLeadTakes()
    {
        var time = new FakeTimeProvider();
        var limit = new LeadLimit(window: 32, s_lead, time);

        // 20 batches/s: half a second is 10 of them.
        Write(limit, time, 80, every: TimeSpan.FromMilliseconds(50), roundTrip: TimeSpan.FromMilliseconds(150));

        Assert.Equal(10, limit.Batches);
    }

    [Fact]
    public void Batches_FastBatches_AreTheWindow()
    {
        var time = new FakeTimeProvider();
        var limit = new LeadLimit(window: 32, s_lead, time);

        Write(limit, time, 80, every: TimeSpan.FromMilliseconds(5), roundTrip: TimeSpan.FromMilliseconds(30));

        Assert.Equal(32, limit.Batches);
    }

    [Fact]
    public void Batches_RoundTripLongerThanTheLead_KeepTwiceTheRoundTripsWorthOut()
    {
        var time = new FakeTimeProvider();
        var limit = new LeadLimit(window: 100, s_lead, time);

        // 20 batches/s, each back a second after it went: 2 s of them is 40.
        Write(limit, time, 80, every: TimeSpan.FromMilliseconds(50), roundTrip: TimeSpan.FromSeconds(1));

        Assert.Equal(40, limit.Batches);
    }

    [Fact]
    public void Batches_RoundTripsLongFromQueueingAlone_AreTheBatchesTheLeadTakes()
    {
        var time = new FakeTimeProvider();
        var limit = new LeadLimit(window: 32, s_lead, time);

        // 20 batches/s, each published behind 24 others: 1.2 s of queueing in a round trip of 1.3 s.
        Write(limit, time, 100, every: TimeSpan.FromMilliseconds(50), roundTrip: TimeSpan.FromMilliseconds(1300), ahead: 24);

        Assert.Equal(10, limit.Batches);
    }

    [Fact]
    public void Batches_RateFallsAfterTheLimitWasSet_TheLimitDoesNotFallWithIt()
    {
        var time = new FakeTimeProvider();
        var limit = new LeadLimit(window: 32, s_lead, time);
        Write(limit, time, 80, every: TimeSpan.FromMilliseconds(50), roundTrip: TimeSpan.FromMilliseconds(150));

        Write(limit, time, 80, every: TimeSpan.FromMilliseconds(500), roundTrip: TimeSpan.FromSeconds(0.2));

        Assert.Equal(10, limit.Batches);
    }

    [Fact]
    public void Batches_VerySlowBatches_AreNeverFewerThanTheMinimum()
    {
        var time = new FakeTimeProvider();
        var limit = new LeadLimit(window: 32, s_lead, time);

        Write(limit, time, 80, every: TimeSpan.FromSeconds(1), roundTrip: TimeSpan.FromMilliseconds(100));

        Assert.Equal(LeadLimit.MinimumBatches, limit.Batches);
    }

    [Fact]
    public void Batches_AllWrittenAtOnce_AreTheWindow()
    {
        var time = new FakeTimeProvider();
        var limit = new LeadLimit(window: 32, s_lead, time);

        Write(limit, time, 80, every: TimeSpan.Zero, roundTrip: TimeSpan.FromMilliseconds(100));

        Assert.Equal(32, limit.Batches);
    }

    /// <summary>Writes <paramref name="count"/> batches, one every <paramref name="every"/>, each published
    /// <paramref name="roundTrip"/> before it is written with <paramref name="ahead"/> batches out before it.</summary>
    internal static void Write(LeadLimit limit, FakeTimeProvider time, int count, TimeSpan every, TimeSpan roundTrip, int ahead = 0)
    {
        for (var i = 0; i < count; i++)
        {
            var sequence = i;
            limit.Published(sequence, ahead);
            time.Advance(every);
            var publishedAt = time.GetTimestamp() - (long)(roundTrip.TotalSeconds * time.TimestampFrequency);
            limit.Written(sequence, publishedAt);
        }
    }
}
