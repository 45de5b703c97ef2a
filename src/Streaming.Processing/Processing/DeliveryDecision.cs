namespace Streaming.Consumer.Processing;

/// <summary>A delivery's fate: the action, and the returns the message carries on when it is published again.</summary>
internal readonly record struct DeliveryDecision(DeliveryAction Action, long Returns = 0);
