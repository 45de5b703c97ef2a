using Streaming.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>The results queue's loss reaches the retransmitter of every job running, not one that ended.</summary>
public sealed class ResultsLossSignalTests
{
    [Fact]
    public void Raise_ReachesEveryListener_NotOneThatStopped()
    {
        var signal = new ResultsLossSignal();
        var (running, other, ended) = (0, 0, 0);
        using var first = signal.Listen(() => running++);
        using var second = signal.Listen(() => other++);
        var stopped = signal.Listen(() => ended++);
        stopped.Dispose();

        signal.Raise();

        Assert.Equal(1, running);
        Assert.Equal(1, other);
        Assert.Equal(0, ended);
    }

    [Fact]
    public void Listen_TheSameActionTwice_StoppingOneKeepsTheOther()
    {
        var signal = new ResultsLossSignal();
        var calls = 0;
        void OnLost() => calls++;
        var first = signal.Listen(OnLost);
        using var second = signal.Listen(OnLost);

        first.Dispose();
        first.Dispose();
        signal.Raise();

        Assert.Equal(1, calls);
    }
}
