namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>One way of providing the broker; <see cref="RabbitMqBroker"/> picks one per test run.</summary>
internal interface IBrokerBackend : IAsyncDisposable
{
    BrokerKind Kind { get; }

    Uri AmqpUri { get; }

    /// <summary>One line for the test log: what broker, where, how long it took to be ready.</summary>
    string Description { get; }

    /// <summary>False when <see cref="CreateVhostAsync"/> falls back to the default vhost.</summary>
    bool IsolatesVhosts { get; }

    bool CanControl { get; }

    Task<Uri> CreateVhostAsync(string vhost, CancellationToken cancellationToken);

    Task<string> RabbitMqCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken);

    Task StopAsync(CancellationToken cancellationToken);

    Task StartAsync(CancellationToken cancellationToken);
}
