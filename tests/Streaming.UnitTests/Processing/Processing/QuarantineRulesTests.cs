using Streaming.Consumer.Processing;

namespace Streaming.UnitTests.Processing.Processing;

public sealed class QuarantineRulesTests
{
    [Fact]
    public void Decide_FreshWorkBatch_IsProcessedSideBySide()
    {
        Assert.Equal(new DeliveryDecision(DeliveryAction.Process), QuarantineRules.Decide(DeliverySource.Work, 100, false, 0, false));
    }

    [Fact]
    public void Decide_WorkBatchBack_IsQuarantinedWithNoReturnCounted()
    {
        Assert.Equal(new DeliveryDecision(DeliveryAction.Quarantine), QuarantineRules.Decide(DeliverySource.Work, 100, true, 1, false));
        Assert.Equal(new DeliveryDecision(DeliveryAction.Quarantine), QuarantineRules.Decide(DeliverySource.Work, 100, true, 1, stopping: true));
    }

    [Fact]
    public void Decide_FreshQuarantinedBatch_IsProcessedAlone()
    {
        Assert.Equal(DeliveryAction.ProcessAlone, QuarantineRules.Decide(DeliverySource.Quarantine, 100, false, 0, false).Action);
    }

    [Fact]
    public void Decide_QuarantinedBatchOfSeveralLinesBack_IsSplit()
    {
        Assert.Equal(DeliveryAction.Split, QuarantineRules.Decide(DeliverySource.Quarantine, 2, true, 1, false).Action);
        // Even when it came back often: a batch of several lines is never failed whole for it.
        Assert.Equal(DeliveryAction.Split, QuarantineRules.Decide(DeliverySource.Quarantine, 2, true, 5, false).Action);
    }

    [Fact]
    public void Decide_SingleLineBackOnce_IsRequeuedWithTheReturnCounted()
    {
        Assert.Equal(new DeliveryDecision(DeliveryAction.Requeue, 1), QuarantineRules.Decide(DeliverySource.Quarantine, 1, true, 1, false));
    }

    [Fact]
    public void Decide_SingleLineBackTwice_IsFailedAsPoison()
    {
        Assert.Equal(2, QuarantineRules.PoisonLineDeliveries);
        Assert.Equal(new DeliveryDecision(DeliveryAction.FailAsPoison, 2), QuarantineRules.Decide(DeliverySource.Quarantine, 1, true, 2, false));
        // Counted returns alone (a fresh copy) reach the limit too.
        Assert.Equal(new DeliveryDecision(DeliveryAction.FailAsPoison, 2), QuarantineRules.Decide(DeliverySource.Quarantine, 1, false, 2, false));
    }

    [Fact]
    public void Decide_StoppingConsumer_HandsBackWhatItWouldProcess()
    {
        Assert.Equal(DeliveryAction.HandBack, QuarantineRules.Decide(DeliverySource.Work, 10, false, 0, stopping: true).Action);
        Assert.Equal(DeliveryAction.HandBack, QuarantineRules.Decide(DeliverySource.Quarantine, 10, false, 1, stopping: true).Action);
        // A decision that processes nothing is still taken while stopping.
        Assert.Equal(DeliveryAction.Split, QuarantineRules.Decide(DeliverySource.Quarantine, 10, true, 1, stopping: true).Action);
    }

    [Fact]
    public void Decide_OverTheDeliveryLimit_GoesBackToTheQuarantineWithOneMoreReturn()
    {
        Assert.Equal(new DeliveryDecision(DeliveryAction.Requeue, 1), QuarantineRules.Decide(DeliverySource.DeliveryLimit, 100, false, 0, false));
        Assert.Equal(new DeliveryDecision(DeliveryAction.Requeue, 2), QuarantineRules.Decide(DeliverySource.DeliveryLimit, 1, false, 1, true));
    }

    [Theory]
    [InlineData(null, false, 0)]
    [InlineData(null, true, 1)]
    [InlineData(1L, true, 2)]
    [InlineData(3, false, 3)]
    [InlineData(-1L, true, 1)]
    [InlineData(1000L, false, 0)]
    [InlineData("2", false, 0)]
    public void Returns_CountedHeaderAndRedelivery_AreAdded(object? counted, bool redelivered, long expected)
    {
        Assert.Equal(expected, QuarantineRules.Returns(counted, redelivered));
    }

    [Theory]
    [InlineData(2, 1, 1)]
    [InlineData(3, 1, 2)]
    [InlineData(100, 50, 50)]
    [InlineData(101, 50, 51)]
    public void SplitSizes_AnyBatch_HalvesWithTheSmallerFirst(int lines, int first, int second)
    {
        Assert.Equal((first, second), QuarantineRules.SplitSizes(lines));
    }

    [Fact]
    public void HandBackTarget_WorkBatchBack_GoesOnToTheQuarantine()
    {
        Assert.Equal((DeliverySource.Quarantine, 0L), QuarantineRules.HandBackTarget(DeliverySource.Work, true, 1));
        Assert.Equal((DeliverySource.Work, 0L), QuarantineRules.HandBackTarget(DeliverySource.Work, false, 0));
        Assert.Equal((DeliverySource.Quarantine, 2L), QuarantineRules.HandBackTarget(DeliverySource.Quarantine, true, 2));
        Assert.Equal((DeliverySource.DeliveryLimit, 1L), QuarantineRules.HandBackTarget(DeliverySource.DeliveryLimit, false, 1));
    }
}
