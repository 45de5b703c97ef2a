using System.Net.Http.Headers;
using System.Text;
using Streaming.Messaging.Connection;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// A broker someone else runs, named by <c>RABBITMQ_URI</c>. Fresh vhosts are made through the management HTTP API
/// (<c>RABBITMQ_MANAGEMENT_URI</c>, default <c>http://&lt;amqp host&gt;:15672/</c>, same credentials). When that API is
/// not reachable or refuses, <see cref="CreateVhostAsync"/> returns the URI's own vhost: tests then share it, and
/// tests that need an empty <c>streaming.lines</c> must not run in parallel. It cannot be stopped or controlled.
/// </summary>
internal sealed class ExternalRabbitMqBroker : IBrokerBackend
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _management;
    private readonly string _user;
    private volatile string? _managementProblem;
    private volatile bool _managementWorked;

    private ExternalRabbitMqBroker(Uri amqpUri, Uri managementUri)
    {
        AmqpUri = amqpUri;
        var (user, password) = AmqpUris.Credentials(amqpUri);
        _user = user;
        _management = new HttpClient { BaseAddress = managementUri, Timeout = TimeSpan.FromSeconds(5) };
        _management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    public BrokerKind Kind => BrokerKind.External;

    public Uri AmqpUri { get; }

    public string Description => $"external RabbitMQ at {UriMasking.Mask(AmqpUri)} (RABBITMQ_URI)" +
        (_managementProblem is null ? "" : $"; vhosts shared: {_managementProblem}");

    public bool IsolatesVhosts => _managementProblem is null;

    public bool CanControl => false;

    public static async Task<ExternalRabbitMqBroker> ConnectAsync(string amqpUri, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(amqpUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
        {
            throw new InvalidOperationException($"RABBITMQ_URI '{UriMasking.Mask(amqpUri)}' is not an amqp:// or amqps:// URI");
        }
        var managementSetting = Environment.GetEnvironmentVariable("RABBITMQ_MANAGEMENT_URI");
        var management = string.IsNullOrWhiteSpace(managementSetting)
            ? new Uri($"http://{uri.Host}:15672/")
            : new Uri(managementSetting.EndsWith('/') ? managementSetting : managementSetting + "/");
        await AmqpReadiness.WaitAsync(uri, s_readyTimeout, () => null, cancellationToken);
        return new ExternalRabbitMqBroker(uri, management);
    }

    public async Task<Uri> CreateVhostAsync(string vhost, CancellationToken cancellationToken)
    {
        if (_managementProblem is not null)
        {
            return AmqpUri;
        }
        try
        {
            await PutAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}", "{}", cancellationToken);
            await PutAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(_user)}",
                """{"configure":".*","write":".*","read":".*"}""", cancellationToken);
            _managementWorked = true;
            return AmqpUris.WithVhost(AmqpUri, vhost);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException
                                   && !_managementWorked && !cancellationToken.IsCancellationRequested)
        {
            _managementProblem = $"management API at {_management.BaseAddress} unusable ({ex.Message})";
            return AmqpUri;
        }
    }

    public Task<string> RabbitMqCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        throw new NotSupportedException("rabbitmqctl needs a broker this test run controls (not RABBITMQ_URI)");

    public Task StopAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("an external broker (RABBITMQ_URI) cannot be stopped by the tests");

    public Task StartAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("an external broker (RABBITMQ_URI) cannot be started by the tests");

    public ValueTask DisposeAsync()
    {
        _management.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task PutAsync(string path, string json, CancellationToken cancellationToken)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _management.PutAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"PUT {path} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }
}
