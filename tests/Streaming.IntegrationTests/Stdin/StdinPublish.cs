using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Stdin;

/// <summary>
/// <c>publish - --wait</c> run as a Unix filter: a pipe on its standard input (bash's process substitution, so that the
/// process's pid is the producer's own, for signals and /proc) and its standard output into a file, byte for byte.
/// </summary>
internal static class StdinPublish
{
    private const string Filter = "exec \"$0\" \"$@\" < <(exec cat -- \"$STREAMING_TEST_STDIN\") > \"$STREAMING_TEST_STDOUT\"";

    /// <summary>Starts the producer on <paramref name="input"/>'s bytes; its standard output goes to
    /// <paramref name="output"/>. The test disposes the process.</summary>
    public static ServiceProcess Start(
        TestPipeline pipeline, string input, string output, IReadOnlyDictionary<string, string?>? environment = null,
        params string[] extra)
    {
        var merged = new Dictionary<string, string?>(pipeline.ServiceEnvironment)
        {
            ["STREAMING_TEST_STDIN"] = input,
            ["STREAMING_TEST_STDOUT"] = output,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }
        string[] publish = ["publish", "-", "--wait", "--rabbitmq", pipeline.ServiceUri, .. extra];
        var native = ServiceBinaries.LocateNative(ServiceBinaries.Producer);
        var dll = native is null ? ServiceBinaries.Locate(ServiceBinaries.Producer) : null;
        string[] command = native is not null ? [native, .. publish] : [ServiceBinaries.DotnetHost, dll!, .. publish];
        return ServiceProcess.Start(
            "/bin/bash", ["-c", Filter, .. command], merged, Path.GetDirectoryName(native ?? dll), ServiceBinaries.Producer);
    }

    /// <summary>Waits until <paramref name="output"/> holds <paramref name="bytes"/> bytes: the moment to inject a fault
    /// mid-stream.</summary>
    public static async Task WaitForOutputAsync(ServiceProcess producer, string output, long bytes, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!File.Exists(output) || new FileInfo(output).Length < bytes)
        {
            if (producer.HasExited)
            {
                throw new InvalidOperationException($"the producer exited before its output reached {bytes} bytes: {producer.Describe()}");
            }
            await Task.Delay(50, deadline.Token);
        }
    }
}
