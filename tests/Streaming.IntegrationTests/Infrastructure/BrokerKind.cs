namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>Where the test run's broker comes from (see <see cref="RabbitMqBroker"/>).</summary>
public enum BrokerKind
{
    /// <summary>An existing broker named by <c>RABBITMQ_URI</c>; it cannot be stopped or controlled.</summary>
    External,

    /// <summary>A Testcontainers RabbitMQ container.</summary>
    Container,

    /// <summary>A node this test run started from the installed rabbitmq-server package.</summary>
    PrivateNode,
}
