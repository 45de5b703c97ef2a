using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Streaming.Messaging.Hosting;
using Streaming.Messaging.Telemetry;

namespace Streaming.Producer.Cli;

/// <summary>Parses the command line, checks it before touching the broker, and runs the command.</summary>
internal static class ProducerApp
{
    private const string Name = "Producer";
    public const int ExitInterrupted = 130;

    public static Task<int> RunAsync(string[] args) => RunAsync(args, CancellationToken.None);

    /// <summary>Runs the command line; <paramref name="stop"/> stops the command as SIGINT/SIGTERM would (the CLI
    /// fuzz test calls this in process, with a token already cancelled to stop right after the start-up checks).</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken stop)
    {
        var parsed = ProducerCommandLine.Create().Parse(args);
        if (UsageErrors.IsHelpRequest(parsed))
        {
            return await parsed.InvokeAsync(cancellationToken: CancellationToken.None);
        }
        if (UsageErrors.FirstError(parsed) is { } parseError)
        {
            return UsageErrors.Report(Name, parseError);
        }
        if (parsed.CommandResult.Command == ProducerCommandLine.Watch)
        {
            return await WatchApp.RunAsync(parsed, stop);
        }
        if (parsed.CommandResult.Command != ProducerCommandLine.Publish)
        {
            return UsageErrors.Report(Name, "a command is required: publish or watch");
        }
        return await PublishAsync(parsed, stop);
    }

    /// <summary><c>publish</c>: checks its options, builds its host and runs every file's job until done or interrupted.</summary>
    private static async Task<int> PublishAsync(ParseResult parsed, CancellationToken stop)
    {
        if (!parsed.GetValue(ProducerCommandLine.Wait))
        {
            return UsageErrors.Report(Name, "publish needs --wait: the publishing process is the one that collects the results");
        }
        var overrides = ProducerCommandLine.ToConfiguration(parsed, out var error);
        var jobs = overrides is null ? null : ProducerCommandLine.ToJobs(parsed, out error);
        if (overrides is null || jobs is null)
        {
            return UsageErrors.Report(Name, error!);
        }

        var builder = ServiceHost.CreateBuilder(overrides);
        builder.Services.AddValidatedOptions(ProducerOptions.Section);
        builder.Services.AddStreamingBroker();
        builder.Services.AddSingleton<PublishCommand>();
        builder.AddStreamingTelemetry(TelemetryNames.ProducerService);
        if (!ServiceHost.TryValidate(builder, ProducerOptions.Section, out _, out var configError)
            || !ServiceHost.TryValidateBroker(builder, out configError))
        {
            return UsageErrors.Report(Name, configError!);
        }
        using var host = builder.Build();
        host.Services.StartStreamingTelemetry();

        using var interrupts = new PublishInterrupts(stop);
        try
        {
            return await host.Services.GetRequiredService<PublishCommand>().RunAsync(jobs, interrupts);
        }
        catch (OperationCanceledException) when (interrupts.Stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"{Name}: interrupted; run the same command again to resume from the checkpoint");
            return ExitInterrupted;
        }
    }
}
