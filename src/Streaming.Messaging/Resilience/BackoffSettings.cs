using Polly;
using Polly.Retry;

namespace Streaming.Messaging.Resilience;

/// <summary>A capped exponential backoff: the first delay, doubled after each failure up to the longest, for at most
/// <see cref="MaxAttempts"/> attempts in all. The named settings are in <see cref="RetryDefaults"/>.</summary>
internal sealed record BackoffSettings(TimeSpan FirstDelay, TimeSpan MaxDelay, int MaxAttempts = int.MaxValue)
{
    /// <summary>The delay after <paramref name="failures"/> failures (1 for the first), without jitter.</summary>
    public TimeSpan DelayAfter(int failures)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        var delay = FirstDelay;
        for (var i = 1; i < failures && delay < MaxDelay; i++)
        {
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
        return delay;
    }

    /// <summary>Polly's retry options for this backoff (with jitter), retrying what <see cref="FaultClassifier"/>
    /// calls transient.</summary>
    public RetryStrategyOptions ToRetryStrategy(Func<OnRetryArguments<object>, ValueTask>? onRetry = null) => new()
    {
        ShouldHandle = static args => ValueTask.FromResult(
            args.Outcome.Exception is { } exception && FaultClassifier.IsTransient(exception, args.Context.CancellationToken)),
        MaxRetryAttempts = MaxAttempts == int.MaxValue ? int.MaxValue : MaxAttempts - 1,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = FirstDelay,
        MaxDelay = MaxDelay,
        OnRetry = onRetry,
    };
}
