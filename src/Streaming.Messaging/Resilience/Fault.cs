namespace Streaming.Messaging.Resilience;

/// <summary>A classified failure: what it means and why, in a few words (for logs; the exception keeps the details).</summary>
internal readonly record struct Fault(FaultKind Kind, string Reason)
{
    public bool IsTransient => Kind == FaultKind.Transient;
}
