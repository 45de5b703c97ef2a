using System.Globalization;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// A private node of its own for the tests that kill, restart, block or reconfigure the broker, so that the shared
/// broker stays stable for everything else running in parallel. It also listens for TLS (amqps) with a throwaway
/// certificate authority made by the test (<see cref="CaCertificatePath"/>). Needs the rabbitmq-server package.
/// </summary>
public sealed class FaultBroker : IAsyncLifetime, ITestBroker
{
    private PrivateRabbitMqNode? _node;
    private string? _certificates;

    public Uri AmqpUri => Node.AmqpUri;

    /// <summary>amqps://guest:guest@localhost:port/ — the certificate names localhost.</summary>
    public Uri AmqpsUri => new(string.Create(CultureInfo.InvariantCulture, $"amqps://guest:guest@localhost:{Node.AmqpsPort}/"));

    /// <summary>The PEM file of the CA that signed the node's certificate.</summary>
    public string CaCertificatePath => Path.Combine(_certificates!, "ca.pem");

    public bool CanControl => true;

    private PrivateRabbitMqNode Node => _node ?? throw new InvalidOperationException("the fault broker is not started");

    public async Task InitializeAsync()
    {
        if (!PrivateRabbitMqNode.IsInstalled)
        {
            throw new InvalidOperationException(
                $"the fault tests need their own RabbitMQ node: install rabbitmq-server ({PrivateRabbitMqNode.ServerPath})");
        }
        _certificates = Directory.CreateTempSubdirectory("streaming-faultbroker-tls-").FullName;
        var tls = TestCertificates.Create(_certificates);
        _node = await PrivateRabbitMqNode.StartNewAsync(CancellationToken.None, new PrivateNodeOptions { Tls = tls });
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
        if (_certificates is not null)
        {
            Directory.Delete(_certificates, recursive: true);
        }
    }

    public async Task<string> CreateVhostAsync()
    {
        var uri = await Node.CreateVhostAsync($"test-{Guid.NewGuid():N}", CancellationToken.None);
        return uri.ToString();
    }

    public Task<string> RabbitMqCtlAsync(params string[] args) => Node.RabbitMqCtlAsync(args, CancellationToken.None);

    /// <summary><c>kill -9</c> of the node.</summary>
    public Task KillAsync() => Node.KillAsync(CancellationToken.None);

    /// <summary>A graceful stop (SIGTERM), keeping the data.</summary>
    public Task StopAsync() => Node.StopAsync(CancellationToken.None);

    public Task StartAsync() => Node.StartAsync(CancellationToken.None);
}
