using Streaming.Messaging.Resilience;

namespace Streaming.UnitTests.Messaging.Resilience;

public sealed class BackoffSettingsTests
{
    [Fact]
    public void DelayAfter_EachFailure_DoublesUpToTheLongest()
    {
        var backoff = new BackoffSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        var delays = Enumerable.Range(1, 5).Select(backoff.DelayAfter).Select(d => d.TotalSeconds);

        Assert.Equal([1, 2, 4, 5, 5], delays);
    }

    [Fact]
    public void ToRetryStrategy_Attempts_RetriesOneFewerThanTheAttempts()
    {
        Assert.Equal(4, RetryDefaults.SubscriptionStart.ToRetryStrategy().MaxRetryAttempts);
        Assert.Equal(40, RetryDefaults.Publish.ToRetryStrategy().MaxRetryAttempts);
        Assert.Equal(int.MaxValue, RetryDefaults.Connect.ToRetryStrategy().MaxRetryAttempts);
    }
}
