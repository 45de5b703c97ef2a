using DotNet.Testcontainers.Configurations;
using Testcontainers.RabbitMq;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// A RabbitMQ container (Testcontainers). The AMQP port is bound to a fixed free host port so that the URI stays the
/// same across <see cref="StopAsync"/>/<see cref="StartAsync"/>. Removed at the end of the run, or by Testcontainers'
/// resource reaper (Ryuk) if the test process dies first.
/// </summary>
/// <remarks>
/// The image is <c>STREAMING_TEST_RABBITMQ_IMAGE</c> when set (a local image such as the stand-in that
/// <c>scripts/build-standin-images.sh</c> builds, for a machine that cannot pull), else <see cref="DefaultImage"/>.
/// A local image means an offline engine, where the reaper's own image cannot be pulled either: the reaper is then off
/// and the container is removed by <see cref="DisposeAsync"/> (and by CI's engine stop if the test process dies).
/// Starting is bounded (<see cref="StartTimeout"/>): an image that cannot be pulled fails fast, and
/// <see cref="RabbitMqBroker"/> falls back to a private node.
/// </remarks>
internal sealed class ContainerRabbitMqBroker : IBrokerBackend
{
    /// <summary>Pinned: a 4.x release in community support, as docker-compose.yml (docs/deployment.md "Versions").</summary>
    public const string DefaultImage = "rabbitmq:4.4.0-management";

    /// <summary>The variable that names a local image instead of <see cref="DefaultImage"/>.</summary>
    public const string ImageVariable = "STREAMING_TEST_RABBITMQ_IMAGE";

    /// <summary>Pulling (when the image is missing), creating and starting the container, until the broker logs that it is up.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private const int AmqpPort = 5672;
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(60);

    private readonly RabbitMqContainer _container;

    private ContainerRabbitMqBroker(RabbitMqContainer container, Uri amqpUri, string image)
    {
        _container = container;
        AmqpUri = amqpUri;
        Image = image;
    }

    /// <summary>The image the container runs.</summary>
    public string Image { get; }

    public BrokerKind Kind => BrokerKind.Container;

    public Uri AmqpUri { get; }

    public string Description => $"RabbitMQ container {Image} ({_container.Id[..12]}) on host port {AmqpUri.Port}";

    public bool IsolatesVhosts => true;

    public bool CanControl => true;

    /// <summary>The Docker API version Testcontainers asks for by default (its Docker.DotNet client's).</summary>
    private static readonly Version s_clientApiVersion = new(1, 44);

    public static async Task<ContainerRabbitMqBroker> StartNewAsync(CancellationToken cancellationToken)
    {
        // An older engine (Debian 12's docker.io 20.10 speaks API 1.41) refuses every request at 1.44: "Docker is either
        // not running or misconfigured". Testcontainers reads DOCKER_API_VERSION when it first loads its settings.
        if (DockerEngineProbe.ApiVersion is { } engineApi && engineApi < s_clientApiVersion
            && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_API_VERSION")))
        {
            Environment.SetEnvironmentVariable("DOCKER_API_VERSION", engineApi.ToString(2));
        }
        var configured = Environment.GetEnvironmentVariable(ImageVariable);
        var image = string.IsNullOrWhiteSpace(configured) ? DefaultImage : configured.Trim();
        if (!string.IsNullOrWhiteSpace(configured))
        {
            TestcontainersSettings.ResourceReaperEnabled = false;
        }
        var container = new RabbitMqBuilder(image)
            .WithPortBinding(FreePorts.Pick(), AmqpPort)
            .WithLabel("org.streaming.test", "rabbitmq")
            .Build();
        try
        {
            using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            startTimeout.CancelAfter(StartTimeout);
            await container.StartAsync(startTimeout.Token);
            var broker = new ContainerRabbitMqBroker(container, new Uri(container.GetConnectionString()), image);
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
