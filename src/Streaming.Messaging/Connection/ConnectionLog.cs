using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Streaming.Messaging.Connection;

internal static partial class ConnectionLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning,
        Message = "Broker {Uri} not reachable (attempt {Attempt}): {Reason}; retrying in {DelayMs} ms")]
    public static partial void ConnectRetry(ILogger logger, string uri, int attempt, string reason, double delayMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Connected to {Uri} (node {Node}) as {ClientName}")]
    public static partial void Connected(ILogger logger, string uri, AmqpTcpEndpoint node, string clientName);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Connection lost: {Reason}; recovering")]
    public static partial void ConnectionLost(ILogger logger, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Connection recovered (node {Node})")]
    public static partial void ConnectionRecovered(ILogger logger, AmqpTcpEndpoint node);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Broker is blocking publishers: {Reason}")]
    public static partial void Blocked(ILogger logger, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Broker stopped blocking publishers")]
    public static partial void Unblocked(ILogger logger);
}
