using System.Diagnostics;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// The real broker the integration tests run against: one per test run, shared by every collection that uses this
/// fixture (see <see cref="BrokerCollection"/>), chosen in this order:
/// <list type="number">
/// <item><c>RABBITMQ_URI</c>, when set: that broker (see <see cref="ExternalRabbitMqBroker"/> for vhosts);</item>
/// <item>a Testcontainers RabbitMQ container, when a Docker engine answers within 2 s (image:
/// <see cref="ContainerRabbitMqBroker.ImageVariable"/>) and <c>STREAMING_TEST_BROKER</c> is not <c>private-node</c>;</item>
/// <item>a private node started from the installed rabbitmq-server package (<see cref="PrivateRabbitMqNode"/>).</item>
/// </list>
/// The broker lives until the last test of the assembly has run (<see cref="IntegrationTestFramework"/> stops it).
/// Queue names such as <c>streaming.lines</c> are fixed, so each test uses its own vhost from
/// <see cref="CreateVhostAsync"/>. Tests that stop, restart or block the broker belong in a collection with
/// <c>DisableParallelization = true</c> (<see cref="BrokerRestartCollection"/>) and must leave it running.
/// </summary>
public sealed class RabbitMqBroker(IMessageSink diagnostics) : IAsyncLifetime, ITestBroker
{
    /// <summary><c>private-node</c> skips the container even when an engine answers (CI: the same tests on both brokers).</summary>
    public const string BrokerChoiceVariable = "STREAMING_TEST_BROKER";

    private const string PrivateNodeChoice = "private-node";
    private static readonly TimeSpan s_dockerProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly Lock s_gate = new();
    private static Task<IBrokerBackend>? s_shared;

    private IBrokerBackend? _backend;

    /// <summary>The broker's default vhost.</summary>
    public Uri AmqpUri => Backend.AmqpUri;

    public BrokerKind Kind => Backend.Kind;

    /// <summary>False only for a <c>RABBITMQ_URI</c> broker without a usable management API: vhosts are then shared.</summary>
    public bool IsolatesVhosts => Backend.IsolatesVhosts;

    /// <summary>Whether <see cref="RabbitMqCtlAsync"/>, <see cref="StopAsync"/> and <see cref="StartAsync"/> work.</summary>
    public bool CanControl => Backend.CanControl;

    private IBrokerBackend Backend => _backend ?? throw new InvalidOperationException("the broker fixture is not initialized");

    public async Task InitializeAsync()
    {
        Task<IBrokerBackend> shared;
        lock (s_gate)
        {
            shared = s_shared ??= Task.Run(() => StartSharedAsync(diagnostics));
        }
        _backend = await shared;
    }

    /// <summary>The shared broker outlives each collection; <see cref="ShutdownSharedAsync"/> stops it.</summary>
    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Creates a brand-new vhost the URI's user may use fully; returns the amqp URI for it.</summary>
    public async Task<string> CreateVhostAsync()
    {
        var vhost = $"test-{Guid.NewGuid():N}";
        var uri = await Backend.CreateVhostAsync(vhost, CancellationToken.None);
        return uri.ToString();
    }

    /// <summary>
    /// Runs <c>rabbitmqctl</c> against the broker (e.g. <c>close_all_connections</c>, <c>set_disk_free_limit</c>)
    /// and returns its stdout. Not for <see cref="BrokerKind.External"/>.
    /// </summary>
    public Task<string> RabbitMqCtlAsync(params string[] args) => Backend.RabbitMqCtlAsync(args, CancellationToken.None);

    /// <summary>Stops the broker, keeping its data. Not for <see cref="BrokerKind.External"/>.</summary>
    public Task StopAsync() => Backend.StopAsync(CancellationToken.None);

    /// <summary>Starts the stopped broker again on the same ports and data, and waits until it accepts connections.</summary>
    public Task StartAsync() => Backend.StartAsync(CancellationToken.None);

    /// <summary>Stops the shared broker, if one was started; called once, after the last test of the assembly.</summary>
    internal static async Task ShutdownSharedAsync(IMessageSink diagnostics)
    {
        Task<IBrokerBackend>? shared;
        lock (s_gate)
        {
            shared = s_shared;
            s_shared = null;
        }
        if (shared is null)
        {
            return;
        }
        try
        {
            var backend = await shared;
            var clock = Stopwatch.StartNew();
            await backend.DisposeAsync();
            Report(diagnostics, backend.Kind == BrokerKind.External
                ? $"broker: released, left running: {backend.Description}"
                : $"broker: stopped in {clock.Elapsed.TotalSeconds:0.0} s");
        }
        catch (Exception ex)
        {
            Report(diagnostics, $"broker: could not be started or stopped cleanly: {FirstLine(ex.Message)}");
        }
    }

    private static async Task<IBrokerBackend> StartSharedAsync(IMessageSink diagnostics)
    {
        var backend = await ChooseAsync(diagnostics);
        Report(diagnostics, $"broker: {backend.Description}");
        return backend;
    }

    private static async Task<IBrokerBackend> ChooseAsync(IMessageSink diagnostics)
    {
        var uri = Environment.GetEnvironmentVariable("RABBITMQ_URI");
        if (!string.IsNullOrWhiteSpace(uri))
        {
            return await ExternalRabbitMqBroker.ConnectAsync(uri, CancellationToken.None);
        }
        var choice = Environment.GetEnvironmentVariable(BrokerChoiceVariable);
        if (!string.IsNullOrWhiteSpace(choice) && choice != PrivateNodeChoice)
        {
            throw new InvalidOperationException($"{BrokerChoiceVariable} may only be '{PrivateNodeChoice}' (or unset), not '{choice}'");
        }
        if (choice != PrivateNodeChoice && await DockerEngineProbe.AnswersAsync(s_dockerProbeTimeout))
        {
            try
            {
                return await ContainerRabbitMqBroker.StartNewAsync(CancellationToken.None);
            }
            catch (Exception ex) when (PrivateRabbitMqNode.IsInstalled)
            {
                Report(diagnostics, $"broker: the RabbitMQ container did not start ({FirstLine(ex.Message)}); using a private node");
            }
        }
        if (PrivateRabbitMqNode.IsInstalled)
        {
            return await PrivateRabbitMqNode.StartNewAsync(CancellationToken.None);
        }
        throw new InvalidOperationException(
            "no RabbitMQ for the integration tests: set RABBITMQ_URI, start a Docker engine, or install rabbitmq-server " +
            $"(apt-get install rabbitmq-server) so that {PrivateRabbitMqNode.ServerPath} exists");
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0];

    private static void Report(IMessageSink diagnostics, string message) =>
        diagnostics.OnMessage(new DiagnosticMessage(message));
}
