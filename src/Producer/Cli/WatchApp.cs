using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Streaming.Messaging.Hosting;
using Streaming.Messaging.Telemetry;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Watching;

namespace Streaming.Producer.Cli;

/// <summary><c>Producer watch [--data D] [--pipeline NAME] [--rabbitmq URI]</c>: checks the configuration, then runs the service until
/// SIGTERM/SIGINT (exit 0), a failure (exit 1), or bad usage or configuration (exit 2, before anything starts).</summary>
internal static class WatchApp
{
    private const string Name = "Producer";

    /// <summary>Stopping waits this long for the files in flight to stop; well inside the 30 s services get.</summary>
    private static readonly TimeSpan s_shutdownTimeout = TimeSpan.FromSeconds(25);

    public static async Task<int> RunAsync(ParseResult parsed, CancellationToken stop)
    {
        if (ProducerCommandLine.ToWatchConfiguration(parsed, out var usageError) is not { } overrides)
        {
            return UsageErrors.Report(Name, usageError!);
        }
        var builder = ServiceHost.CreateBuilder(overrides);
        builder.Services.AddValidatedOptions(ProducerOptions.Section);
        builder.Services.AddValidatedOptions(WatchOptions.Section);
        builder.Services.AddStreamingBroker();
        builder.Services.AddHostedService<WatchService>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = s_shutdownTimeout);
        builder.AddStreamingTelemetry(TelemetryNames.ProducerService);
        if (!ServiceHost.TryValidate(builder, ProducerOptions.Section, out _, out var error)
            || !ServiceHost.TryValidate(builder, WatchOptions.Section, out var options, out error)
            || !ServiceHost.TryValidateBroker(builder, out error)
            || !TryCreateFolders(options!.Data, out error))
        {
            return UsageErrors.Report(Name, error!);
        }
        // One watch service per data folder: a second one would take the same files and write the same outputs.
        using var owner = TryLock(new WatchFolders(options.Data), out error);
        if (owner is null)
        {
            return UsageErrors.Report(Name, error!);
        }
        using var host = builder.Build();
        return await ServiceHost.RunUntilStoppedAsync(host, stop);
    }

    private static OwnerLock? TryLock(WatchFolders folders, out string? error)
    {
        try
        {
            if (OwnerLock.TryAcquire(folders.Lock, out var holder) is { } held)
            {
                error = null;
                return held;
            }
            error = $"--data '{folders.Data}' is watched by {OwnerLock.Holder(holder)} (it holds '{folders.Lock}'); one watch service per data folder";
        }
        catch (IOException ex)
        {
            error = $"cannot lock --data '{folders.Data}': {ex.Message}";
        }
        return null;
    }

    private static bool TryCreateFolders(string data, out string? error)
    {
        if (string.IsNullOrWhiteSpace(data))
        {
            error = $"--data (Watch:Data) '{data}' is not a folder path";
            return false;
        }
        if (File.Exists(data))
        {
            error = $"--data '{data}' is a file, not a folder";
            return false;
        }
        try
        {
            new WatchFolders(data).Create();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = $"cannot set up the folders of --data '{data}': {ex.Message}";
            return false;
        }
        error = null;
        return true;
    }
}
