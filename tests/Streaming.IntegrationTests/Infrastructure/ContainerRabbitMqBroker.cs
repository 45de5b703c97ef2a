using Testcontainers.RabbitMq;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// A RabbitMQ container (Testcontainers). The AMQP port is bound to a fixed free host port so that the URI stays the
/// same across <see cref="StopAsync"/>/<see cref="StartAsync"/>. Removed at the end of the run, or by Testcontainers'
/// resource reaper (Ryuk) if the test process dies first.
/// </summary>
internal sealed class ContainerRabbitMqBroker : IBrokerBackend
{
    /// <summary>Pinned: the 3.13 line (the machine's package is 3.10; 4.x changes quorum-queue defaults).</summary>
    public const string Image = "rabbitmq:3.13.7-management";

    private const int AmqpPort = 5672;
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(60);

    private readonly RabbitMqContainer _container;

    private ContainerRabbitMqBroker(RabbitMqContainer container, Uri amqpUri)
    {
        _container = container;
        AmqpUri = amqpUri;
    }

    public BrokerKind Kind => BrokerKind.Container;

    public Uri AmqpUri { get; }

    public string Description => $"RabbitMQ container {Image} ({_container.Id[..12]}) on host port {AmqpUri.Port}";

    public bool IsolatesVhosts => true;

    public bool CanControl => true;

    public static async Task<ContainerRabbitMqBroker> StartNewAsync(CancellationToken cancellationToken)
    {
        var container = new RabbitMqBuilder(Image)
            .WithPortBinding(FreePorts.Pick(), AmqpPort)
            .Build();
        try
        {
            await container.StartAsync(cancellationToken);
            var broker = new ContainerRabbitMqBroker(container, new Uri(container.GetConnectionString()));
            await AmqpReadiness.WaitAsync(broker.AmqpUri, s_readyTimeout, () => null, cancellationToken);
            return broker;
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    public async Task<Uri> CreateVhostAsync(string vhost, CancellationToken cancellationToken)
    {
        var (user, _) = AmqpUris.Credentials(AmqpUri);
        await RabbitMqCtlAsync(["-q", "add_vhost", vhost], cancellationToken);
        await RabbitMqCtlAsync(["-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"], cancellationToken);
        return AmqpUris.WithVhost(AmqpUri, vhost);
    }

    public async Task<string> RabbitMqCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await _container.ExecAsync(["rabbitmqctl", .. arguments], cancellationToken);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new InvalidOperationException(
                $"rabbitmqctl {string.Join(' ', arguments)} failed with exit code {result.ExitCode}: {result.Stderr}{result.Stdout}");
    }

    public Task StopAsync(CancellationToken cancellationToken) => _container.StopAsync(cancellationToken);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _container.StartAsync(cancellationToken);
        await AmqpReadiness.WaitAsync(AmqpUri, s_readyTimeout, () => null, cancellationToken);
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();
}
