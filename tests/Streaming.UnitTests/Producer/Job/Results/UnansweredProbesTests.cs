using Streaming.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>When the results inbox gives its queue up for a fresh one.</summary>
public sealed class UnansweredProbesTests
{
    [Fact]
    public void ShouldMove_ThreeUnansweredInARow_GivesTheQueueUp()
    {
        var probes = new UnansweredProbes();

        Assert.False(probes.ShouldMove(answered: false));
        Assert.False(probes.ShouldMove(answered: false));
        Assert.True(probes.ShouldMove(answered: false));
    }

    [Fact]
    public void ShouldMove_AnAnswerBetween_StartsTheCountAgain()
    {
        var probes = new UnansweredProbes();
        probes.ShouldMove(answered: false);
        probes.ShouldMove(answered: false);

        Assert.False(probes.ShouldMove(answered: true));
        Assert.False(probes.ShouldMove(answered: false));
        Assert.False(probes.ShouldMove(answered: false));
    }

    [Fact]
    public void ShouldMove_ConnectionClosedBetween_StartsTheCountAgain()
    {
        var probes = new UnansweredProbes();
        probes.ShouldMove(answered: false);
        probes.ShouldMove(answered: false);

        probes.ConnectionClosed();

        Assert.False(probes.ShouldMove(answered: false));
    }

    [Fact]
    public void ShouldMove_MoveFailed_TriesAgainAtTheNextUnansweredProbe()
    {
        var probes = new UnansweredProbes();
        for (var i = 0; i < UnansweredProbes.BeforeMoving; i++)
        {
            probes.ShouldMove(answered: false);
        }

        Assert.True(probes.ShouldMove(answered: false));
        probes.Moved();
        Assert.False(probes.ShouldMove(answered: false));
    }
}
