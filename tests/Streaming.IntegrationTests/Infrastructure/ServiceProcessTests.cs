using System.Diagnostics;
using System.Globalization;

namespace Streaming.IntegrationTests.Infrastructure;

public sealed class ServiceProcessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Terminate_AfterOutputSeen_ProcessExitsWithSigterm()
    {
        await using var process = ServiceProcess.Start("/bin/sh", ["-c", "echo hi; exec sleep 30"]);
        await process.WaitForOutputAsync("hi", s_timeout);

        process.Terminate();

        Assert.Equal(128 + 15, await process.WaitForExitAsync(s_timeout));
    }

    [Fact]
    public async Task Kill_ShellWithChild_EndsWholeTree()
    {
        await using var process = ServiceProcess.Start("/bin/sh", ["-c", "sleep 30 & echo child=$!; wait"]);
        await process.WaitForOutputAsync("child=", s_timeout);
        await process.WaitForOutputAsync("\n", s_timeout);
        var child = int.Parse(process.StandardOutput.Split('=')[1].Trim(), CultureInfo.InvariantCulture);

        process.Kill();

        Assert.Equal(128 + 9, await process.WaitForExitAsync(s_timeout));
        Assert.True(await IsGoneAsync(child), $"child {child} is still running");
    }

    [Fact]
    public async Task WaitForExitAsync_ProcessOutlivesTimeout_ThrowsWithStderrAndKills()
    {
        await using var process = ServiceProcess.Start("/bin/sh", ["-c", "echo oops >&2; exec sleep 30"]);
        await process.WaitForOutputAsync("oops", s_timeout);

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => process.WaitForExitAsync(TimeSpan.FromMilliseconds(300)));

        Assert.Contains("oops", timeout.Message, StringComparison.Ordinal);
        Assert.True(process.HasExited);
    }

    [Fact]
    public async Task WaitForOutputAsync_ProcessExitsWithoutText_FailsWithoutWaitingForTimeout()
    {
        await using var process = ServiceProcess.Start("/bin/sh", ["-c", "echo bye"]);
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<InvalidOperationException>(() => process.WaitForOutputAsync("never", TimeSpan.FromMinutes(1)));

        Assert.True(clock.Elapsed < s_timeout, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task WaitForOutputAsync_TextNeverWritten_ThrowsTimeoutWithOutput()
    {
        await using var process = ServiceProcess.Start("/bin/sh", ["-c", "echo something else; exec sleep 30"]);
        // The shell's line first: on a loaded machine (a Docker build beside the tests) it took longer than the 500 ms.
        await process.WaitForOutputAsync("something else", s_timeout);

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => process.WaitForOutputAsync("never", TimeSpan.FromMilliseconds(500)));

        Assert.Contains("something else", timeout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_EnvironmentOverrides_SetAndRemoveVariables()
    {
        await using var process = ServiceProcess.Start("/bin/sh", ["-c", "echo \"foo=$FOO home=${HOME:-unset}\""],
            new Dictionary<string, string?> { ["FOO"] = "bar", ["HOME"] = null });

        Assert.Equal(0, await process.WaitForExitAsync(s_timeout));
        Assert.Equal("foo=bar home=unset\n", process.StandardOutput);
    }

    [Fact]
    public async Task StandardOutput_MoreThanRetained_KeepsTheTail()
    {
        await using var process = ServiceProcess.Start("/bin/sh", ["-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo END"]);

        Assert.Equal(0, await process.WaitForExitAsync(s_timeout));
        await process.WaitForOutputAsync("END", s_timeout);
        Assert.Equal(ServiceProcess.RetainedChars, process.StandardOutput.Length);
        Assert.EndsWith("x\nEND\n", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposeAsync_RunningProcess_KillsIt()
    {
        var process = ServiceProcess.Start("/bin/sh", ["-c", "exec sleep 30"]);
        var pid = process.Id;

        await process.DisposeAsync();

        Assert.True(await IsGoneAsync(pid), $"{pid} is still running");
    }

    [Fact]
    public void Locate_AssemblyNotBuilt_ThrowsNamingTheSearchedFolders()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => ServiceBinaries.Locate("NoSuchService"));

        Assert.Contains(AppContext.BaseDirectory, missing.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("src", "NoSuchService", "bin", ServiceBinaries.Configuration, ServiceBinaries.TargetFramework),
            missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_IsTheTestAssemblysOwn()
    {
#if DEBUG
        Assert.Equal("Debug", ServiceBinaries.Configuration);
#else
        Assert.Equal("Release", ServiceBinaries.Configuration);
#endif
    }

    /// <summary>Gone or a zombie (an orphan's parent may be a PID 1 that never reaps).</summary>
    private static async Task<bool> IsGoneAsync(int pid)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            string stat;
            try
            {
                stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
            }
            catch (IOException)
            {
                return true;
            }
            if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
            {
                return true;
            }
            await Task.Delay(100);
        }
        return false;
    }
}
