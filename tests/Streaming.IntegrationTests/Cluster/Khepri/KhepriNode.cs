using System.Diagnostics;

namespace Streaming.IntegrationTests.Cluster.Khepri;

/// <summary>
/// One node of the <see cref="KhepriCluster"/>: a container of a RabbitMQ 4 image on the cluster's Docker network, at
/// a fixed address (it keeps it across a stop and a start), named <c>rabbit@NAME</c> (its hostname), with the
/// cluster's Erlang cookie written into its HOME before the server starts. Its data lives in the container's volume,
/// so a stopped or killed node starts again as the same member.
/// </summary>
internal sealed class KhepriNode(string name, string network, string address, string image, string cookie)
{
    public const string TestLabel = "org.streaming.test=cluster";
    private static readonly TimeSpan s_bootTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan s_ctlTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    // The cookie comes in the environment; the file is replaced at every start (it is read-only once written).
    private const string StartScript =
        """umask 077; rm -f "$HOME/.erlang.cookie"; printf %s "$STREAMTEST_COOKIE" > "$HOME/.erlang.cookie"; exec rabbitmq-server""";

    public string Name => name;

    public string Address => address;

    public string NodeName => "rabbit@" + name;

    public bool IsRunning { get; private set; }

    /// <summary>How long the last start took, until the node answered <c>await_startup</c>.</summary>
    public TimeSpan LastStartDuration { get; private set; }

    public async Task CreateAsync()
    {
        var started = Stopwatch.GetTimestamp();
        await DockerCli.RunAsync(["run", "-d", "--name", name, "--hostname", name, "--network", network, "--ip", address,
            "--label", TestLabel, "-e", "STREAMTEST_COOKIE=" + cookie, image, "sh", "-c", StartScript]);
        IsRunning = true;
        await WaitUntilBootedAsync(started);
    }

    public Task<string> CtlAsync(IReadOnlyList<string> arguments) =>
        DockerCli.RunAsync(["exec", name, "rabbitmqctl", .. arguments], s_ctlTimeout);

    public Task<string> QueuesAsync(IReadOnlyList<string> arguments) =>
        DockerCli.RunAsync(["exec", name, "rabbitmq-queues", .. arguments], s_ctlTimeout);

    /// <summary>SIGKILL of the container's processes (<c>docker kill</c>): the Erlang VM dies without a word.</summary>
    public async Task KillAsync()
    {
        IsRunning = false;
        await DockerCli.RunAsync(["kill", name]);
    }

    /// <summary>SIGTERM (<c>docker stop</c>): the node stops gracefully, SIGKILL after 30 s.</summary>
    public async Task StopAsync()
    {
        IsRunning = false;
        await DockerCli.RunAsync(["stop", "-t", ((int)s_stopTimeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), name],
            s_stopTimeout + s_ctlTimeout);
    }

    public async Task StartAsync()
    {
        var started = Stopwatch.GetTimestamp();
        await DockerCli.RunAsync(["start", name]);
        IsRunning = true;
        await WaitUntilBootedAsync(started);
    }

    /// <summary>Removes the container and its volume, whatever its state.</summary>
    public Task RemoveAsync()
    {
        IsRunning = false;
        return DockerCli.TryRunAsync(["rm", "-f", "-v", name]);
    }

    /// <summary>Until the node's CLI can reach it and its application has started (the CLI fails at once while the
    /// Erlang VM is not up yet, so it is asked again).</summary>
    private async Task WaitUntilBootedAsync(long started)
    {
        using var deadline = new CancellationTokenSource(s_bootTimeout);
        string last = "";
        while (true)
        {
            try
            {
                await CtlAsync(["-q", "await_startup", "--timeout", "60"]);
                LastStartDuration = Stopwatch.GetElapsedTime(started);
                return;
            }
            catch (InvalidOperationException ex)
            {
                last = ex.Message;
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{NodeName} did not start within {s_bootTimeout.TotalSeconds:0} s: {last}");
            }
        }
    }
}
