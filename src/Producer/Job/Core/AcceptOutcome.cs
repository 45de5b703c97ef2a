namespace Streaming.Producer.Job.Core;

/// <summary>What <see cref="JobState.Accept"/> did with a result.</summary>
internal readonly record struct AcceptOutcome(AcceptOutcomeKind Kind, string? Reason = null)
{
    public static AcceptOutcome Written { get; } = new(AcceptOutcomeKind.Written);

    public static AcceptOutcome Held { get; } = new(AcceptOutcomeKind.Held);

    public static AcceptOutcome Duplicate { get; } = new(AcceptOutcomeKind.Duplicate);

    /// <summary>Not this run's (another job, outside the window, another batch): counted and acknowledged.</summary>
    public static AcceptOutcome Dropped(string reason) => new(AcceptOutcomeKind.Dropped, reason);

    /// <summary>Not a well-formed result: dead-lettered with the reason.</summary>
    public static AcceptOutcome Malformed(string reason) => new(AcceptOutcomeKind.Malformed, reason);
}

internal enum AcceptOutcomeKind
{
    /// <summary>Its batch was the next one and is written.</summary>
    Written,

    /// <summary>It came early (or is a part): held until its batch's turn.</summary>
    Held,

    /// <summary>Its batch, or this part of it, is written or held already.</summary>
    Duplicate,

    Dropped,

    Malformed,
}
