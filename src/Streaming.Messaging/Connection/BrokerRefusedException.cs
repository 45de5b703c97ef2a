namespace Streaming.Messaging.Connection;

/// <summary>The broker answered and refused the user or the vhost: configuration, which retrying cannot fix (a
/// one-shot command exits with 2, a service stops with 2).</summary>
internal sealed class BrokerRefusedException(string message, Exception? inner) : Exception(message, inner);
