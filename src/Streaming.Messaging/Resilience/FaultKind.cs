namespace Streaming.Messaging.Resilience;

/// <summary>What a failure means for whoever caught it (<see cref="FaultClassifier"/>).</summary>
internal enum FaultKind
{
    /// <summary>A passing broker or network fault: trying again later can succeed.</summary>
    Transient,

    /// <summary>The broker refuses this configuration (user, password, vhost, permissions, queue arguments) and will
    /// answer the same way again: a configuration mistake, exit code 2.</summary>
    Refused,

    /// <summary>Anything else: retrying the same thing fails the same way (a bug, a malformed message, an unknown
    /// failure).</summary>
    Permanent,

    /// <summary>The caller's own cancellation: stopping, not a fault.</summary>
    Cancelled,
}
