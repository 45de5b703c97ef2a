using System.Globalization;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.LeastPrivilege;

/// <summary>
/// <c>scripts/run-local.sh</c> keeps the broker's passwords off the command lines it starts (any local user reads
/// those with <c>ps</c>): its services get URIs that name their user only, and their passwords in files of mode 600.
/// The script runs for real on a private node, from a copy of the scripts, with a stand-in for <c>dotnet</c> that
/// records how each service was started.
/// </summary>
public sealed class RunLocalScriptTests : IAsyncLifetime
{
    private static readonly TimeSpan s_start = TimeSpan.FromSeconds(360);
    private static readonly TimeSpan s_stop = TimeSpan.FromSeconds(120);
    private const string StandInDotnet = """
        #!/usr/bin/env bash
        # Stands in for dotnet: the build succeeds; a service records its command line and password file, then logs a
        # line with an escape sequence (as a file's name may bring in) every second: the script follows its log from
        # the end, so a line written once, before it looked, would never be seen.
        [ "${1:-}" = build ] && exit 0
        { printf '%s\n' "$*"; printf '%s\n' "${RabbitMq__PasswordFile:-}"; } > "$STAND_IN_RECORDS/$$.tmp"
        mv "$STAND_IN_RECORDS/$$.tmp" "$STAND_IN_RECORDS/$$.record"
        for _ in $(seq 600); do printf 'stand-in \033[2Jcleared the screen\n'; sleep 1; done
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("streaming-run-local-").FullName;
    private readonly int _port = LocalNodeTests.PickPortPair();
    private ServiceProcess? _script;

    private string Records => Path.Combine(_root, "records");

    /// <summary>One run of the script (a node start is slow on a busy machine) for both of its promises.</summary>
    [Fact]
    public async Task Start_PasswordsInOwnerOnlyFilesNotOnCommandLines_WatchLogOnTheTerminalWithoutEscapes()
    {
        _script = StartScript();

        await _script.WaitForOutputAsync("Streaming is running", s_start);
        await AssertNoPasswordOnTheCommandLinesAsync();

        // The stand-in watch service logged an escape sequence: the terminal gets it as text.
        await _script.WaitForOutputAsync("stand-in ?[2Jcleared the screen", TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("\u001b", _script.StandardOutput, StringComparison.Ordinal);
    }

    private async Task AssertNoPasswordOnTheCommandLinesAsync()
    {
        var records = await WaitForRecordsAsync(count: 3);

        var passwords = File.ReadAllLines(Path.Combine(_root, ".local", "rabbitmq", "credentials"))
            .Select(line => line.Split(' ')).ToDictionary(fields => fields[0], fields => fields[1]);
        Assert.Equal(["admin", "consumer", "producer"], passwords.Keys.Order());
        foreach (var (commandLine, passwordFile) in records)
        {
            Assert.All(passwords.Values, password => Assert.DoesNotContain(password, commandLine, StringComparison.Ordinal));
            var role = commandLine.Contains(" watch ", StringComparison.Ordinal) ? "producer" : "consumer";
            Assert.Contains($"--rabbitmq amqp://streaming-{role}@127.0.0.1:{_port}/", commandLine, StringComparison.Ordinal);
            Assert.Equal(passwords[role] + "\n", await File.ReadAllTextAsync(passwordFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(passwordFile));
        }
        Assert.Equal(2, records.Count(r => !r.CommandLine.Contains(" watch ", StringComparison.Ordinal)));
    }

    private ServiceProcess StartScript() => ServiceProcess.Start(
        "bash", [Path.Combine(_root, "scripts", "run-local.sh"), "--no-dashboard", "--consumers", "2", "--port", _port.ToString(CultureInfo.InvariantCulture)],
        new Dictionary<string, string?>
        {
            ["PATH"] = Path.Combine(_root, "bin") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["STAND_IN_RECORDS"] = Records,
        },
        name: "run-local.sh");

    /// <summary>The stand-in's records once <paramref name="count"/> services have started: each command line and the
    /// password file it was given.</summary>
    private async Task<List<(string CommandLine, string PasswordFile)>> WaitForRecordsAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (Directory.GetFiles(Records, "*.record").Length < count)
        {
            await Task.Delay(200, timeout.Token);
        }
        return Directory.GetFiles(Records, "*.record")
            .Select(f => File.ReadAllLines(f))
            .Select(lines => (lines[0], lines[1]))
            .ToList();
    }

    private static UnixFileMode ModeOf(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException("the local stack runs on Linux") : File.GetUnixFileMode(path);

    public Task InitializeAsync()
    {
        var repository = ServiceBinaries.FindRepositoryRoot() ?? throw new InvalidOperationException("no repository above the test assembly");
        foreach (var file in new[] { "scripts/run-local.sh", "scripts/rabbitmq-node.sh", "scripts/lib/ports.sh", "deploy/kubernetes/broker/permissions.env" })
        {
            var copy = Path.Combine(_root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(Path.Combine(repository, file), copy);
        }
        Directory.CreateDirectory(Records);
        var dotnet = Path.Combine(_root, "bin", "dotnet");
        Directory.CreateDirectory(Path.GetDirectoryName(dotnet)!);
        File.WriteAllText(dotnet, StandInDotnet.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_script is not null)
        {
            // SIGTERM: the script stops what it started, the node included.
            _script.Terminate();
            try
            {
                await _script.WaitForExitAsync(s_stop, terminateGrace: TimeSpan.FromSeconds(30));
            }
            finally
            {
                await _script.DisposeAsync();
            }
        }
        var node = Path.Combine(_root, ".local", "rabbitmq");
        if (File.Exists(Path.Combine(node, "pid")))
        {
            await using var stop = ServiceProcess.Start("bash", [Path.Combine(_root, "scripts", "rabbitmq-node.sh"), "stop", node], name: "rabbitmq-node.sh");
            await stop.WaitForExitAsync(s_stop);
        }
        Directory.Delete(_root, recursive: true);
    }
}
