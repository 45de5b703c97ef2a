using System.Net;
using System.Net.Sockets;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP proxy in front of the broker that can turn into a network black hole: while <see cref="Blackhole"/> is on it
/// stops forwarding in both directions (and holds new connections) without closing any socket, as a partitioned
/// network would; when it is off again the held bytes flow, unless a peer gave up meanwhile (heartbeats), in which
/// case that connection is closed on both sides.
/// </summary>
internal sealed class BlackholeProxy : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Task> _connections = [];
    private TaskCompletionSource _open = NewOpenGate(open: true);
    private Task? _accepting;

    public BlackholeProxy(int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        _listener = new TcpListener(IPAddress.Loopback, 0);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections { get; private set; }

    /// <summary>On: nothing is forwarded. Off: everything flows again.</summary>
    public bool Blackhole
    {
        get
        {
            lock (_lock)
            {
                return !_open.Task.IsCompleted;
            }
        }
        set
        {
            lock (_lock)
            {
                if (value && _open.Task.IsCompleted)
                {
                    _open = NewOpenGate(open: false);
                }
                else if (!value)
                {
                    _open.TrySetResult();
                }
            }
        }
    }

    /// <summary>The same URI with this proxy's port.</summary>
    public string Wrap(string uri) => new UriBuilder(uri) { Host = "127.0.0.1", Port = Port }.Uri.ToString();

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            lock (_lock)
            {
                Connections++;
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(client, cancellationToken));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await WaitOpenAsync(cancellationToken);
                await upstream.ConnectAsync(_target, cancellationToken);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var down = PumpAsync(client.GetStream(), upstream.GetStream(), linked.Token);
                var up = PumpAsync(upstream.GetStream(), client.GetStream(), linked.Token);
                await Task.WhenAny(down, up);
                await linked.CancelAsync();
                await Task.WhenAll(down, up).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // A peer went away, or the proxy is stopping: both sockets close here.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        while (true)
        {
            await WaitOpenAsync(cancellationToken);
            var read = await from.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return;
            }
            await WaitOpenAsync(cancellationToken);    // bytes read just before the black hole wait for it to end
            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private Task WaitOpenAsync(CancellationToken cancellationToken)
    {
        Task open;
        lock (_lock)
        {
            open = _open.Task;
        }
        return open.WaitAsync(cancellationToken);
    }

    private static TaskCompletionSource NewOpenGate(bool open)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            gate.TrySetResult();
        }
        return gate;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Blackhole = false;
        if (_accepting is not null)
        {
            await _accepting;
        }
        Task[] connections;
        lock (_lock)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
