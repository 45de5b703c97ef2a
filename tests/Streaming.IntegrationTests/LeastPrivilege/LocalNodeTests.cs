using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.LeastPrivilege;

/// <summary>
/// The local stack's broker (<c>scripts/rabbitmq-node.sh</c>, which run-local.sh, the benchmark and chaos.py use) is
/// closed by default: it listens on 127.0.0.1 only, has no guest user, and its generated users' passwords are kept in a
/// file only its owner can read, the same across restarts.
/// </summary>
public sealed class LocalNodeTests : IAsyncLifetime
{
    private static readonly TimeSpan s_script = TimeSpan.FromSeconds(180);
    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-local-node-").FullName;
    private readonly string _script = Path.Combine(
        ServiceBinaries.FindRepositoryRoot() ?? throw new InvalidOperationException("no repository above the test assembly"),
        "scripts", "rabbitmq-node.sh");
    private int _port;

    private string NodeDirectory => Path.Combine(_directory, "node");

    [Fact]
    public async Task Start_FreshAndRestarted_LoopbackOnlyNoGuestCredentialsKept()
    {
        _port = PickPortPair();
        await RunScriptAsync("start", NodeDirectory, _port.ToString(CultureInfo.InvariantCulture));

        var credentials = Path.Combine(NodeDirectory, "credentials");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(credentials));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, ModeOf(NodeDirectory));
        var distributionPort = _port + 20000;
        Assert.Equal(["127.0.0.1"], ListeningAddresses(_port));
        Assert.Equal(["127.0.0.1"], ListeningAddresses(distributionPort));
        await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => ConnectAsync($"amqp://guest:guest@127.0.0.1:{_port}/"));
        foreach (var role in new[] { "producer", "consumer", "admin" })
        {
            await using var connection = await ConnectAsync(await RunScriptAsync("uri", NodeDirectory, role));
            Assert.True(connection.IsOpen);
        }

        var passwordFile = Path.Combine(_directory, "consumer.password");
        var login = (await RunScriptAsync("login", NodeDirectory, "consumer", passwordFile)).Trim();
        Assert.Equal($"amqp://streaming-consumer@127.0.0.1:{_port}/", login);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(passwordFile));
        var password = (await File.ReadAllTextAsync(passwordFile)).TrimEnd('\n');
        await using (var withFile = await ConnectAsync(login.Replace("@", $":{password}@", StringComparison.Ordinal)))
        {
            Assert.True(withFile.IsOpen);
        }

        var before = await File.ReadAllTextAsync(credentials);
        var nodePid = int.Parse(await File.ReadAllTextAsync(Path.Combine(NodeDirectory, "pid")), CultureInfo.InvariantCulture);
        await RunScriptAsync("stop", NodeDirectory);
        // Gone, not only its pid file (which the node removes while it still listens): a start on the same port right
        // after a stop found the port in use.
        Assert.False(IsAlive(nodePid), $"the node's process {nodePid} outlived stop");
        await RunScriptAsync("start", NodeDirectory, _port.ToString(CultureInfo.InvariantCulture));

        Assert.Equal(before, await File.ReadAllTextAsync(credentials));
        await using (var again = await ConnectAsync(await RunScriptAsync("uri", NodeDirectory, "producer")))
        {
            Assert.True(again.IsOpen);
        }
        await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => ConnectAsync($"amqp://guest:guest@127.0.0.1:{_port}/"));
    }

    /// <summary>A node killed with kill -9 leaves its pid file; minutes later (pid_max is 32,768 here, and CI wraps it in
    /// about 6) the number may be another process's, which stop must not signal.</summary>
    [Fact]
    public async Task Stop_PidFileLeftByANodeKilledLongAgo_TheProcessNowHoldingTheNumberIsLeftAlone()
    {
        Directory.CreateDirectory(NodeDirectory);
        await using var innocent = ServiceProcess.Start("sleep", ["120"], name: "sleep");
        await File.WriteAllTextAsync(Path.Combine(NodeDirectory, "pid"), innocent.Id.ToString(CultureInfo.InvariantCulture));

        await RunScriptAsync("stop", NodeDirectory);

        Assert.False(innocent.HasExited, "stop signalled a process that is not its node");
        Assert.False(File.Exists(Path.Combine(NodeDirectory, "pid")), "a pid file naming no node is stale");
        innocent.Kill();
    }

    /// <summary>A pid file naming a process that has ended (the node killed, or ending as stop looks): stop says only
    /// that the node was not running. Its check read the ended process's command line with a redirection whose error
    /// the shell printed (the benchmark's log showed it).</summary>
    [Fact]
    public async Task Stop_PidFileNamesAnEndedProcess_SaysOnlyThatTheNodeWasNotRunning()
    {
        Directory.CreateDirectory(NodeDirectory);
        int ended;
        await using (var process = ServiceProcess.Start("true", [], name: "true"))
        {
            Assert.Equal(0, await process.WaitForExitAsync(s_script));
            ended = process.Id;
        }
        await File.WriteAllTextAsync(Path.Combine(NodeDirectory, "pid"), ended.ToString(CultureInfo.InvariantCulture));

        await using var script = ServiceProcess.Start("bash", [_script, "stop", NodeDirectory], name: "rabbitmq-node.sh");

        Assert.Equal(0, await script.WaitForExitAsync(s_script));
        Assert.Equal("RabbitMQ node was not running", script.StandardError.Trim());
    }

    /// <summary>The process exists and is not a zombie (whose command line is empty).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Length > 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static UnixFileMode ModeOf(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException("the local node runs on Linux") : File.GetUnixFileMode(path);

    private static Task<IConnection> ConnectAsync(string uri) =>
        new ConnectionFactory { Uri = new Uri(uri.Trim()), AutomaticRecoveryEnabled = false, RequestedConnectionTimeout = TimeSpan.FromSeconds(20) }
            .CreateConnectionAsync();

    /// <summary>Runs the script, expects exit 0 within a bounded time, returns its stdout.</summary>
    private async Task<string> RunScriptAsync(params string[] arguments)
    {
        await using var script = ServiceProcess.Start("bash", [_script, .. arguments], name: "rabbitmq-node.sh");
        Assert.True(0 == await script.WaitForExitAsync(s_script), script.Describe());
        return script.StandardOutput;
    }

    /// <summary>The local addresses with a listening TCP socket on <paramref name="port"/> (IPv4 and IPv6).</summary>
    private static List<string> ListeningAddresses(int port)
    {
        var addresses = new List<string>();
        foreach (var (file, family) in new[] { ("/proc/net/tcp", AddressFamily.InterNetwork), ("/proc/net/tcp6", AddressFamily.InterNetworkV6) })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = fields[1].Split(':');
                const string listen = "0A";
                if (fields[3] == listen && int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    addresses.Add(ProcAddress(local[0], family).ToString());
                }
            }
        }
        return addresses;
    }

    /// <summary>/proc/net/tcp writes an address as 32-bit words in host (little-endian) order.</summary>
    private static IPAddress ProcAddress(string hex, AddressFamily family)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }
        var address = new IPAddress(bytes);
        return family == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    /// <summary>A free AMQP port whose distribution port (20000 above it, as the script takes it) is free too.</summary>
    internal static int PickPortPair()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = FreePorts.Pick();
            try
            {
                using var probe = new TcpListener(IPAddress.Any, port + 20000);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
        throw new InvalidOperationException("no free port pair for the node");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (File.Exists(Path.Combine(NodeDirectory, "pid")))
        {
            await RunScriptAsync("stop", NodeDirectory);
        }
        Directory.Delete(_directory, recursive: true);
    }
}
