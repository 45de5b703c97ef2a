using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Cluster.Khepri;

/// <summary>The <c>docker</c> command line, each call bounded: the Khepri cluster needs what Testcontainers does not
/// offer (a SIGKILL of a container, fixed addresses on a network of its own, <c>docker exec</c> of the node's CLI).</summary>
internal static class DockerCli
{
    public const string Program = "docker";
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Runs <c>docker ARGS</c>; returns its stdout, or throws with what it wrote when it fails.</summary>
    public static async Task<string> RunAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        await using var docker = ServiceProcess.Start(Program, arguments, name: Program);
        var code = await docker.WaitForExitAsync(timeout ?? s_defaultTimeout);
        return code == 0
            ? docker.StandardOutput
            : throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed.{Environment.NewLine}{docker.Describe()}");
    }

    /// <summary>As <see cref="RunAsync"/>, but a failure is only returned (false), for clean-up.</summary>
    public static async Task<bool> TryRunAsync(IReadOnlyList<string> arguments)
    {
        try
        {
            await RunAsync(arguments);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
