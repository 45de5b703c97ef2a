using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

public sealed class StabilityTrackerTests
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromSeconds(2);

    private static EntryStatus File(long size, long modified) => new(EntryKind.RegularFile, false, size, modified);

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Observe_FirstLook_NotStable()
    {
        var tracker = new StabilityTracker(s_quiet, 10);

        Assert.False(tracker.Observe("a", File(10, 1), At(0)));
        Assert.True(tracker.IsTracked("a"));
    }

    [Fact]
    public void Observe_UnchangedForTheQuietPeriod_Stable()
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        tracker.Observe("a", File(10, 1), At(0));
        tracker.EndPass();

        Assert.False(tracker.Observe("a", File(10, 1), At(1.9)));
        tracker.EndPass();
        Assert.True(tracker.Observe("a", File(10, 1), At(2)));
    }

    [Theory]
    [InlineData(11, 1)]     // appended to
    [InlineData(10, 2)]     // rewritten in place, same size
    public void Observe_ChangeDuringTheQuietPeriod_RestartsIt(long size, long modified)
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        tracker.Observe("a", File(10, 1), At(0));
        tracker.EndPass();

        Assert.False(tracker.Observe("a", File(size, modified), At(1.5)));
        tracker.EndPass();
        Assert.False(tracker.Observe("a", File(size, modified), At(3)));
        tracker.EndPass();
        Assert.True(tracker.Observe("a", File(size, modified), At(3.5)));
    }

    [Fact]
    public void Observe_KindChanges_RestartsTheQuietPeriod()
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        tracker.Observe("a", new EntryStatus(EntryKind.DanglingSymlink, true, 5, 1), At(0));
        tracker.EndPass();

        Assert.False(tracker.Observe("a", new EntryStatus(EntryKind.RegularFile, true, 5, 1), At(5)));
    }

    [Fact]
    public void Observe_NoQuietPeriod_StableAtOnce()
    {
        var tracker = new StabilityTracker(TimeSpan.Zero, 10);

        Assert.True(tracker.Observe("a", File(1, 1), At(0)));
    }

    [Fact]
    public void EndPass_TrackedEntryNotListed_ReportedOnceAsVanishedAndForgotten()
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        tracker.Observe("a", File(1, 1), At(0));
        tracker.Observe("b", File(1, 1), At(0));
        tracker.EndPass();

        tracker.Observe("b", File(1, 1), At(1));
        Assert.Equal(["a"], tracker.EndPass());
        Assert.False(tracker.IsTracked("a"));
        tracker.Observe("b", File(1, 1), At(2));
        Assert.Empty(tracker.EndPass());
    }

    [Fact]
    public void Forget_TakenEntry_NotReportedAsVanished()
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        tracker.Observe("a", File(1, 1), At(0));
        tracker.EndPass();

        tracker.Forget("a");

        Assert.Empty(tracker.EndPass());
    }

    [Fact]
    public void Observe_AtCapacity_NewEntriesWaitUntilThereIsRoom()
    {
        var tracker = new StabilityTracker(s_quiet, 2);
        tracker.Observe("a", File(1, 1), At(0));
        tracker.Observe("b", File(1, 1), At(0));

        Assert.False(tracker.Observe("c", File(1, 1), At(0)));
        Assert.False(tracker.IsTracked("c"));
        Assert.Equal(2, tracker.Count);
        tracker.Forget("a");
        tracker.Observe("c", File(1, 1), At(1));
        Assert.True(tracker.IsTracked("c"));
    }

    [Fact]
    public void Observe_RenamedCompleteFromAnIgnoredName_StableAtFirstLook()
    {
        var tracker = new StabilityTracker(s_quiet, 10);

        tracker.MarkComplete("a");

        Assert.True(tracker.Observe("a", File(10, 1), At(0)));
        tracker.EndPass();
        Assert.True(tracker.Observe("a", File(10, 1), At(0.5)));
    }

    [Fact]
    public void Observe_RenamedCompleteThenChanged_BackToTheQuietPeriod()
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        tracker.MarkComplete("a");
        tracker.Observe("a", File(10, 1), At(0));
        tracker.EndPass();

        Assert.False(tracker.Observe("a", File(11, 2), At(1)));
        tracker.EndPass();
        Assert.False(tracker.Observe("a", File(11, 2), At(2.9)));
        tracker.EndPass();
        Assert.True(tracker.Observe("a", File(11, 2), At(3)));
    }

    [Fact]
    public void EndPass_CompleteMarkOfAnEntryNotListedInTwoPasses_Forgotten()
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        tracker.MarkComplete("a");
        tracker.EndPass();
        tracker.EndPass();

        Assert.False(tracker.Observe("a", File(10, 1), At(1)));
    }

    [Fact]
    public void EndPass_CompleteMarkMadeDuringAPass_HoldsForTheNextPass()
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        tracker.MarkComplete("a");      // the pass under way may have listed "a" before it was renamed into place
        tracker.EndPass();

        Assert.True(tracker.Observe("a", File(10, 1), At(1)));
    }

    [Fact]
    public void NextQuietEnd_EntriesWaiting_TheEarliestStillAhead()
    {
        var tracker = new StabilityTracker(s_quiet, 10);
        Assert.Null(tracker.NextQuietEnd(At(0)));
        tracker.Observe("a", File(1, 1), At(0));
        tracker.Observe("b", File(1, 1), At(0.5));
        tracker.MarkComplete("c");
        tracker.Observe("c", File(1, 1), At(0.7));
        tracker.EndPass();

        Assert.Equal(At(2), tracker.NextQuietEnd(At(1)));
        Assert.Equal(At(2.5), tracker.NextQuietEnd(At(2)));      // a's is over: it is ready, not waiting
        Assert.Null(tracker.NextQuietEnd(At(2.5)));
    }
}
