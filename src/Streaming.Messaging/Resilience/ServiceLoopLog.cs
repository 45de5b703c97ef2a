namespace Streaming.Messaging.Resilience;

/// <summary>How a service tells the turns of its <see cref="ServiceLoop"/>, each with the service's own
/// <c>[LoggerMessage]</c> (its event ids and wording stay its own).</summary>
/// <param name="Refused">The broker refuses the configuration: the reason; the service stops with exit code 2.</param>
/// <param name="Interrupted">A transient fault interrupted the start: the reason and the seconds until it starts again.</param>
/// <param name="Failed">Anything else: the service fails with exit code 1.</param>
internal sealed record ServiceLoopLog(Action<string> Refused, Action<string, double> Interrupted, Action<Exception> Failed);
