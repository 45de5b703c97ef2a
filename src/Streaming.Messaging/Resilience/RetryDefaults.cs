namespace Streaming.Messaging.Resilience;

/// <summary>Every retry's numbers, named, in one place (as Polly's <c>RetryConstants</c>).</summary>
internal static class RetryDefaults
{
    /// <summary>Connecting: each node of the list in turn, until the broker is there (a service) or the connect
    /// timeout ends it (a command).</summary>
    public static readonly BackoffSettings Connect = new(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));

    /// <summary>A subscription's first basic.consume: a broker still starting (a quorum queue not yet elected) gets
    /// a few attempts.</summary>
    public static readonly BackoffSettings SubscriptionStart = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), SubscriptionStartAttempts);

    /// <summary>Attempts a subscription's first basic.consume gets by default.</summary>
    public const int SubscriptionStartAttempts = 5;

    /// <summary>Subscribing again after the broker cancelled the consumer or closed its channel.</summary>
    public static readonly BackoffSettings Resubscribe = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));

    /// <summary>A service whose start was interrupted by a transient fault starts again after this delay.</summary>
    public static readonly TimeSpan ServiceRestart = TimeSpan.FromSeconds(1);

    /// <summary>A consumer handing a delivery back while the broker will not take it (an alarm, no confirm): about
    /// 30 s of attempts, then a nack, so that a delivery does not hold its prefetch slot for good.</summary>
    public static readonly BackoffSettings HandBack = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), MaxAttempts: 8);

    /// <summary>A producer's publish (or results-queue call) after a closed channel or a nack: 40 attempts.</summary>
    public static readonly BackoffSettings Publish = new(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5), MaxAttempts: 41);

    /// <summary>A watched file whose job stopped on a broker fault, tried again from its checkpoint.</summary>
    public static readonly BackoffSettings WatchedFile = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
}
