namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>What the pipeline tests need from a broker: a fresh vhost each, and rabbitmqctl to look inside it.</summary>
public interface ITestBroker
{
    /// <summary>Creates a brand-new vhost; returns the amqp URI for it.</summary>
    Task<string> CreateVhostAsync();

    /// <summary>Runs rabbitmqctl against the broker and returns its stdout.</summary>
    Task<string> RabbitMqCtlAsync(params string[] args);

    /// <summary>Whether <see cref="RabbitMqCtlAsync"/> works (not for a <c>RABBITMQ_URI</c> broker).</summary>
    bool CanControl { get; }
}
