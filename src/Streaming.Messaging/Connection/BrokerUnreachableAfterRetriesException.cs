namespace Streaming.Messaging.Connection;

/// <summary>The broker did not answer within the connect timeout (a one-shot command then exits with 3).</summary>
internal sealed class BrokerUnreachableAfterRetriesException(string message, Exception? inner)
    : Exception(message, inner);
