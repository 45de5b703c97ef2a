using System.Globalization;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.LeastPrivilege;

/// <summary>
/// <c>scripts/docker-engine.sh stop</c> signals the dockerd that its <c>start</c> recorded, and no other process: a
/// dockerd that ended by itself leaves its number in the pid file, and CI goes through pid_max (32,768) in minutes.
/// Hermetic: the pid file is the test's own (<c>STREAMING_DOCKERD_PID_FILE</c>), and stand-ins for <c>iptables</c>,
/// <c>sysctl</c> and <c>docker</c> come first on PATH, so the host's engine and forwarding are left alone.
/// </summary>
public sealed class DockerEngineScriptTests : IDisposable
{
    private static readonly TimeSpan s_script = TimeSpan.FromSeconds(120);
    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-docker-engine-").FullName;

    private string PidFile => Path.Combine(_directory, "dockerd.pid");

    [Fact]
    public async Task Stop_PidFileNamesAnotherProgram_LeavesItAloneAndForgetsTheFile()
    {
        await using var innocent = ServiceProcess.Start("sleep", ["120"], name: "sleep");
        await File.WriteAllTextAsync(PidFile, innocent.Id.ToString(CultureInfo.InvariantCulture));

        await using var script = await StopAsync();

        Assert.False(innocent.HasExited, $"stop signalled a process that is not dockerd: {script.Describe()}");
        Assert.False(File.Exists(PidFile), "a pid file naming no dockerd is stale");
        innocent.Kill();
    }

    /// <summary>The control: a process that runs as <c>dockerd</c> under the recorded pid is stopped.</summary>
    [Fact]
    public async Task Stop_PidFileNamesARunningDockerd_StopsIt()
    {
        // A link, not a copy: a copy's write descriptor, inherited by a process another test forks at that moment,
        // made the start fail with "Text file busy" (ci37c). The process's name is still the link's.
        var dockerd = Path.Combine(_directory, "dockerd");
        File.CreateSymbolicLink(dockerd, "/bin/sleep");
        await using var engine = ServiceProcess.Start(dockerd, ["120"], name: "dockerd");
        await File.WriteAllTextAsync(PidFile, engine.Id.ToString(CultureInfo.InvariantCulture));

        await using var script = await StopAsync();

        Assert.Equal(128 + 15, await engine.WaitForExitAsync(TimeSpan.FromSeconds(30)));   // SIGTERM
        Assert.False(File.Exists(PidFile), script.Describe());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<ServiceProcess> StopAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the script runs on Linux");
        }
        var standIns = Directory.CreateDirectory(Path.Combine(_directory, "bin")).FullName;
        foreach (var tool in new[] { "iptables", "sysctl", "docker" })
        {
            var path = Path.Combine(standIns, tool);
            await File.WriteAllTextAsync(path, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var script = Path.Combine(
            ServiceBinaries.FindRepositoryRoot() ?? throw new InvalidOperationException("no repository above the test assembly"),
            "scripts", "docker-engine.sh");
        var environment = new Dictionary<string, string?>
        {
            ["STREAMING_DOCKERD_PID_FILE"] = PidFile,
            ["PATH"] = standIns + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
        };
        var stop = ServiceProcess.Start("bash", [script, "stop"], environment, name: "docker-engine.sh");
        Assert.True(0 == await stop.WaitForExitAsync(s_script), stop.Describe());
        return stop;
    }
}
