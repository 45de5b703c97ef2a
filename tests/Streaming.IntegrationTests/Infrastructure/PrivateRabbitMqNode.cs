using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// A RabbitMQ node of this test run's own, started from the installed rabbitmq-server package: its own HOME and
/// Erlang cookie, node name, AMQP and distribution ports, data, log and config files, all under one temp folder.
/// It shares the machine's epmd (started by the first node if none runs). Runs as the current user: the script in
/// /usr/lib/rabbitmq/bin is used, not the /usr/sbin wrapper that switches to the rabbitmq user.
/// </summary>
/// <remarks>
/// The node is stopped by the pid in its pid file (SIGTERM, SIGKILL after 10 s), never by process name, and only
/// when that pid's command line names this node's folder. A watchdog shell kills the node and removes the folder
/// if the test process dies without disposing it.
/// </remarks>
internal sealed class PrivateRabbitMqNode : IBrokerBackend
{
    public const string ServerPath = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    public const string CtlPath = "/usr/lib/rabbitmq/bin/rabbitmqctl";
    public const string QueuesPath = "/usr/lib/rabbitmq/bin/rabbitmq-queues";
    private const string IpPath = "/usr/sbin/ip";

    private const int LogTailChars = 6000;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_ctlTimeout = TimeSpan.FromSeconds(60);

    // $1 = pid to watch, $2 = the node's pid file, $3 = the node's folder. Writes nothing (its pipes die with us).
    private const string WatchdogScript = """
        exec >/dev/null 2>&1 </dev/null
        while kill -0 "$1" 2>/dev/null; do sleep 1; done
        if [ -f "$2" ]; then
          pid=$(cat "$2")
          if [ -n "$pid" ] && tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qF -- "$3"; then kill -KILL "$pid"; fi
          sleep 1
        fi
        rm -rf -- "$3"
        """;

    private readonly string _root;
    private readonly string _pidFile;
    private readonly string _logFile;
    private readonly string _nodeName;
    private readonly int _amqpPort;
    private readonly int _distPort;
    private readonly Dictionary<string, string?> _serverEnvironment;
    private readonly Dictionary<string, string?> _ctlEnvironment;
    private readonly string? _networkNamespace;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private ServiceProcess? _server;
    private ServiceProcess? _watchdog;
    private int _disposed;

    private PrivateRabbitMqNode(PrivateNodeOptions? options = null)
    {
        options ??= new PrivateNodeOptions();
        var id = $"streamtest-{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";
        var placement = options.Placement;
        _nodeName = placement?.NodeName ?? id + "@localhost";
        _networkNamespace = placement?.NetworkNamespace;
        _root = Directory.CreateTempSubdirectory(id + "-").FullName;
        _amqpPort = placement is null ? FreePorts.Pick() : NodePlacement.AmqpPort;
        _distPort = placement is null ? FreePorts.Pick(_amqpPort) : NodePlacement.DistributionPort;
        _pidFile = Path.Combine(_root, "node.pid");
        _logFile = Path.Combine(_root, "log", _nodeName + ".log");
        AmqpUri = new Uri($"amqp://guest:guest@{placement?.Address ?? "127.0.0.1"}:{_amqpPort}/");

        // HOME stays inside the folder, even with a shared cookie: the node's command line names it, which is how
        // ReadNodePid and the watchdog know the pid in the pid file is this node.
        var home = Path.Combine(_root, "home");
        Directory.CreateDirectory(Path.Combine(_root, "mnesia"));
        Directory.CreateDirectory(Path.Combine(_root, "log"));
        WriteErlangCookie(home, placement?.ErlangCookie ?? NewErlangCookie());
        File.WriteAllText(Path.Combine(_root, "enabled_plugins"), "[].\n");
        File.WriteAllText(Path.Combine(_root, "rabbitmq-env.conf"), "# empty: keeps /etc/rabbitmq/rabbitmq-env.conf out\n");
        var config = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"""
            loopback_users = none
            listeners.tcp.default = {_amqpPort}

            """));
        if (options.Tls is { } tls)
        {
            AmqpsPort = FreePorts.Pick(_amqpPort, _distPort);
            config.Append(CultureInfo.InvariantCulture, $"""
                listeners.ssl.default = {AmqpsPort}
                ssl_options.cacertfile = {tls.CaCertificatePath}
                ssl_options.certfile = {tls.CertificatePath}
                ssl_options.keyfile = {tls.KeyPath}
                ssl_options.verify = verify_none
                ssl_options.fail_if_no_peer_cert = false

                """);
        }
        config.Append(options.ExtraConfig);
        File.WriteAllText(Path.Combine(_root, "rabbitmq.conf"), config.ToString());

        // Inherited RABBITMQ_* settings (say, from a developer's shell) must not reach this node or its CLI.
        var common = new Dictionary<string, string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string key && key.StartsWith("RABBITMQ_", StringComparison.Ordinal))
            {
                common[key] = null;
            }
        }
        common["HOME"] = home;
        common["LC_ALL"] = "C.UTF-8";
        common["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_root, "rabbitmq-env.conf");
        if (placement is not null)
        {
            common["RABBITMQ_USE_LONGNAME"] = "true";
        }

        _serverEnvironment = new Dictionary<string, string?>(common)
        {
            ["RABBITMQ_NODENAME"] = _nodeName,
            ["RABBITMQ_NODE_PORT"] = _amqpPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = _distPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_root, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_root, "log"),
            ["RABBITMQ_PID_FILE"] = _pidFile,
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_root, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_root, "rabbitmq.conf"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_root, "advanced.config"),
        };
        _ctlEnvironment = common;
    }

    public static bool IsInstalled => OperatingSystem.IsLinux() && File.Exists(ServerPath) && File.Exists(CtlPath);

    /// <summary>A random Erlang cookie; nodes (and their CLI) with the same one may talk to each other.</summary>
    public static string NewErlangCookie() => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 32);

    /// <summary>Writes <paramref name="value"/> as the Erlang cookie of <paramref name="home"/> (created when missing),
    /// readable by its owner only.</summary>
    private static void WriteErlangCookie(string home, string value)
    {
        Directory.CreateDirectory(home);
        var cookie = Path.Combine(home, ".erlang.cookie");
        File.WriteAllText(cookie, value);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead);   // Erlang refuses a cookie others can read
        }
    }

    public BrokerKind Kind => BrokerKind.PrivateNode;

    public Uri AmqpUri { get; }

    public string NodeName => _nodeName;

    /// <summary>From process start to the first AMQP connection, for the last start.</summary>
    public TimeSpan LastStartDuration { get; private set; }

    public string Description =>
        $"private RabbitMQ node {_nodeName} on port {_amqpPort} (dist {_distPort}, folder {_root}), " +
        $"ready in {LastStartDuration.TotalSeconds:0.0} s";

    public bool IsolatesVhosts => true;

    /// <summary>Whether the node's server process runs (it may still be booting, or paused).</summary>
    public bool IsRunning => _server is { HasExited: false };

    public bool CanControl => true;

    /// <summary>The TLS listener's port, when the node was started with <see cref="PrivateNodeOptions.Tls"/>.</summary>
    public int? AmqpsPort { get; }

    public static async Task<PrivateRabbitMqNode> StartNewAsync(CancellationToken cancellationToken, PrivateNodeOptions? options = null)
    {
        var node = new PrivateRabbitMqNode(options);
        try
        {
            node._watchdog = ServiceProcess.Start("/bin/sh",
                ["-c", WatchdogScript, "streamtest-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), node._pidFile, node._root],
                name: "streamtest-watchdog");
            await node.StartAsync(cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the node (again: same name, ports and data) and waits for an AMQP connection.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_server is { HasExited: false })
            {
                throw new InvalidOperationException($"{_nodeName} is already running");
            }
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
            File.Delete(_pidFile);
            var started = Stopwatch.GetTimestamp();
            var (fileName, arguments) = InNamespace(ServerPath, []);
            var server = ServiceProcess.Start(fileName, arguments, _serverEnvironment, _root, "rabbitmq-server");
            _server = server;
            try
            {
                await AmqpReadiness.WaitAsync(AmqpUri, s_startTimeout,
                    () => server.HasExited ? $"rabbitmq-server exited with code {server.ExitCode}" : null, cancellationToken);
            }
            catch (Exception ex)
            {
                await StopCoreAsync();
                if (ex is TimeoutException or InvalidOperationException)
                {
                    throw new InvalidOperationException(
                        $"RabbitMQ node {_nodeName} did not become ready: {ex.Message}{Environment.NewLine}" +
                        $"--- {_logFile} (tail) ---{Environment.NewLine}{LogTail()}{Environment.NewLine}{server.Describe()}", ex);
                }
                throw;
            }
            LastStartDuration = Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the node: SIGTERM to the pid in its pid file, SIGKILL if it is still there after 10 s.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            await StopCoreAsync();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary><c>kill -9</c> of the node (the Erlang VM), as a crash or an OOM kill would; <see cref="StartAsync"/> brings it back.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            SignalNode(PosixSignals.Kill);
            if (_server is { } server)
            {
                await server.WaitForExitAsync(s_stopTimeout);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async Task<Uri> CreateVhostAsync(string vhost, CancellationToken cancellationToken)
    {
        await RabbitMqCtlAsync(["-q", "add_vhost", vhost], cancellationToken);
        await RabbitMqCtlAsync(["-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], cancellationToken);
        return AmqpUris.WithVhost(AmqpUri, vhost);
    }

    /// <summary>Runs <c>rabbitmqctl -n &lt;node&gt; &lt;arguments&gt;</c> with the node's cookie; returns stdout.</summary>
    public Task<string> RabbitMqCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunCliAsync(CtlPath, arguments, cancellationToken);

    /// <summary>Runs <c>rabbitmq-queues -n &lt;node&gt; &lt;arguments&gt;</c> (e.g. <c>quorum_status</c>); returns stdout.</summary>
    public Task<string> RabbitMqQueuesAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunCliAsync(QueuesPath, arguments, cancellationToken);

    private async Task<string> RunCliAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        // The CLI is an Erlang node too; give it a port range of its own instead of the shared 35672-35682.
        var cliPort = FreePorts.Pick(_amqpPort, _distPort);
        var environment = new Dictionary<string, string?>(_ctlEnvironment)
        {
            ["RABBITMQ_CTL_DIST_PORT_MIN"] = cliPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_CTL_DIST_PORT_MAX"] = (cliPort + 10).ToString(CultureInfo.InvariantCulture),
        };
        var (fileName, cliArguments) = InNamespace(tool, ["-n", _nodeName, .. arguments]);
        await using var ctl = ServiceProcess.Start(fileName, cliArguments, environment, _root, Path.GetFileName(tool));
        var exitCode = await ctl.WaitForExitAsync(s_ctlTimeout).WaitAsync(cancellationToken);
        return exitCode == 0
            ? ctl.StandardOutput
            : throw new InvalidOperationException($"{Path.GetFileName(tool)} {string.Join(' ', arguments)} failed.{Environment.NewLine}{ctl.Describe()}");
    }

    /// <summary>The command line that runs <paramref name="program"/> in the node's network namespace, if it has one.</summary>
    private (string FileName, IReadOnlyList<string> Arguments) InNamespace(string program, IReadOnlyList<string> arguments) =>
        _networkNamespace is null ? (program, arguments) : (IpPath, ["netns", "exec", _networkNamespace, program, .. arguments]);

    /// <summary>Stops the node, deletes its folder, then ends the watchdog (which would finish the job if we died first).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _lifecycle.WaitAsync();
        try
        {
            await StopCoreAsync();
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A leftover temp folder is harmless.
            }
            if (_watchdog is not null)
            {
                await _watchdog.DisposeAsync();
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task StopCoreAsync()
    {
        if (_server is not { HasExited: false } server)
        {
            SignalNode(PosixSignals.Kill);
            return;
        }
        if (!SignalNode(PosixSignals.Terminate))
        {
            // No pid file yet (very early in boot): the start script turns SIGTERM into a node stop.
            server.Terminate();
        }
        try
        {
            await server.WaitForExitAsync(s_stopTimeout);   // kills the script and the node on timeout
        }
        catch (TimeoutException)
        {
            SignalNode(PosixSignals.Kill);
        }
        SignalNode(PosixSignals.Kill);  // only if the script died and left the node behind
    }

    /// <summary>Signals the pid in the pid file if that process is this node; false when there is none.</summary>
    private bool SignalNode(int signal)
    {
        var pid = ReadNodePid();
        return pid is not null && PosixSignals.Send(pid.Value, signal);
    }

    private int? ReadNodePid()
    {
        try
        {
            if (!int.TryParse(File.ReadAllText(_pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                return null;
            }
            // Guards against a reused pid: the node's command line names its HOME, inside our folder.
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return commandLine.Contains(_root, StringComparison.Ordinal) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string LogTail()
    {
        try
        {
            using var stream = new FileStream(_logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Max(0, stream.Length - LogTailChars), SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"(no log: {ex.Message})";
        }
    }
}
