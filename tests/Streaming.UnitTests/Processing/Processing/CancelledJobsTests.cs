using Microsoft.Extensions.Time.Testing;
using Streaming.Consumer.Processing;

namespace Streaming.UnitTests.Processing.Processing;

public sealed class CancelledJobsTests
{
    private static readonly TimeSpan s_expiry = TimeSpan.FromMinutes(5);

    [Fact]
    public void Add_NewAndRenewed_TrueOnlyTheFirstTime()
    {
        var jobs = new CancelledJobs(new FakeTimeProvider(), capacity: 4, s_expiry);
        var job = Guid.NewGuid();

        Assert.True(jobs.Add(job));
        Assert.False(jobs.Add(job));
        Assert.True(jobs.Contains(job));
        Assert.False(jobs.Contains(Guid.NewGuid()));
    }

    [Fact]
    public void Contains_AfterTheExpirySinceTheLastAnnouncement_Forgotten()
    {
        var time = new FakeTimeProvider();
        var jobs = new CancelledJobs(time, capacity: 4, s_expiry);
        var job = Guid.NewGuid();
        jobs.Add(job);

        time.Advance(s_expiry - TimeSpan.FromSeconds(1));
        Assert.False(jobs.Add(job));     // announced again: the expiry starts over
        time.Advance(s_expiry - TimeSpan.FromSeconds(1));
        Assert.True(jobs.Contains(job));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(jobs.Contains(job));
        Assert.Equal(0, jobs.Count);
        Assert.True(jobs.Add(job));      // forgotten: new again
    }

    [Fact]
    public void Add_PastTheCapacity_TheOneAnnouncedLongestAgoGoesFirst()
    {
        var time = new FakeTimeProvider();
        var jobs = new CancelledJobs(time, capacity: 3, s_expiry);
        var ids = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var id in ids[..3])
        {
            jobs.Add(id);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        jobs.Add(ids[0]);   // renewed: now the most recent
        time.Advance(TimeSpan.FromSeconds(1));

        jobs.Add(ids[3]);
        jobs.Add(ids[4]);

        Assert.Equal(3, jobs.Count);
        Assert.False(jobs.Contains(ids[1]));
        Assert.False(jobs.Contains(ids[2]));
        Assert.True(jobs.Contains(ids[0]));
        Assert.True(jobs.Contains(ids[3]));
        Assert.True(jobs.Contains(ids[4]));
    }

    [Fact]
    public void Add_PastTheCapacityWithExpiredIds_DropsTheExpiredOnes()
    {
        var time = new FakeTimeProvider();
        var jobs = new CancelledJobs(time, capacity: 2, s_expiry);
        var old = Guid.NewGuid();
        jobs.Add(old);
        jobs.Add(Guid.NewGuid());
        time.Advance(s_expiry);
        var fresh = Guid.NewGuid();

        jobs.Add(fresh);

        Assert.Equal(1, jobs.Count);
        Assert.True(jobs.Contains(fresh));
    }

    [Fact]
    public void Watch_JobCancelledWhileABatchWaitsOrRuns_TheBatchIsCancelled()
    {
        var jobs = new CancelledJobs(new FakeTimeProvider(), capacity: 4, s_expiry);
        var job = Guid.NewGuid();
        using var batch = new CancellationTokenSource();
        using var other = new CancellationTokenSource();
        using var watching = jobs.Watch(job, batch);
        using var watchingOther = jobs.Watch(Guid.NewGuid(), other);

        jobs.Add(job);

        Assert.True(batch.IsCancellationRequested);
        Assert.False(other.IsCancellationRequested);
    }

    [Fact]
    public void Watch_JobAlreadyCancelled_CancelledAtOnce()
    {
        var jobs = new CancelledJobs(new FakeTimeProvider(), capacity: 4, s_expiry);
        var job = Guid.NewGuid();
        jobs.Add(job);
        using var batch = new CancellationTokenSource();

        using var watching = jobs.Watch(job, batch);

        Assert.True(batch.IsCancellationRequested);
    }

    [Fact]
    public void Watch_Disposed_NoLongerCancelled()
    {
        var jobs = new CancelledJobs(new FakeTimeProvider(), capacity: 4, s_expiry);
        var job = Guid.NewGuid();
        using var batch = new CancellationTokenSource();
        jobs.Watch(job, batch).Dispose();

        jobs.Add(job);

        Assert.False(batch.IsCancellationRequested);
    }
}
