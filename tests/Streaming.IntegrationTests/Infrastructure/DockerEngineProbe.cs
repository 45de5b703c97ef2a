using System.Net.Sockets;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// Whether a Docker engine answers, quickly: <c>DOCKER_HOST</c> (unix:// gets <c>GET /_ping</c>, tcp:// a TCP
/// connect, since TLS client certificates are Testcontainers' business), else <c>/var/run/docker.sock</c>.
/// </summary>
internal static class DockerEngineProbe
{
    private const string DefaultSocket = "/var/run/docker.sock";

    /// <summary>
    /// The newest API version the engine speaks, from <c>GET /_ping</c>'s <c>Api-Version</c> header (unix sockets only);
    /// null until a ping answered. Debian 12's docker.io (20.10) speaks 1.41, older than Testcontainers' default.
    /// </summary>
    public static Version? ApiVersion { get; private set; }

    public static async Task<bool> AnswersAsync(TimeSpan timeout)
    {
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!Uri.TryCreate(string.IsNullOrWhiteSpace(dockerHost) ? "unix://" + DefaultSocket : dockerHost, UriKind.Absolute, out var endpoint))
        {
            return false;
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return endpoint.Scheme switch
            {
                "unix" => await PingUnixSocketAsync(endpoint.AbsolutePath, cts.Token),
                "tcp" => await ConnectsAsync(endpoint.Host, endpoint.Port, cts.Token),
                _ => false,
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> PingUnixSocketAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync(new Uri("http://docker/_ping"), cancellationToken);
        if (response.Headers.TryGetValues("Api-Version", out var values)
            && Version.TryParse(values.FirstOrDefault(), out var version))
        {
            ApiVersion = version;
        }
        return response.IsSuccessStatusCode;
    }

    private static async Task<bool> ConnectsAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellationToken);
        return true;
    }
}
