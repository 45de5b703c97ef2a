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
        if (parsed.CommandResult.Command == ProducerCommandLine.Redrive)
        {
            return await RedriveAsync(parsed, stop);
        }
        if (parsed.CommandResult.Command != ProducerCommandLine.Publish)
        {
            return UsageErrors.Report(Name, "a command is required: publish, redrive or watch");
        }
        return await PublishAsync(parsed, stop);
    }

    /// <summary><c>redrive</c>: checks its options, builds its host and runs the file's failed lines again.</summary>
    private static async Task<int> RedriveAsync(ParseResult parsed, CancellationToken stop)
    {
        if (ProducerCommandLine.ToRedrive(parsed, out var error) is not { } redrive
            || ProducerCommandLine.ToRedriveConfiguration(parsed, out error) is not { } overrides)
        {
            return UsageErrors.Report(Name, error!);
        }
        return await RunHostedAsync(
            overrides,
            (services, interrupts) => new RedriveCommand(services.GetRequiredService<PublishCommand>())
                .RunAsync(redrive.Input, redrive.OutputDirectory, interrupts.Stop),
            ResumeHint, stop);
    }

    /// <summary><c>publish</c>: checks its options, builds its host and runs every file's job until done or interrupted.</summary>
    private static async Task<int> PublishAsync(ParseResult parsed, CancellationToken stop)
    {
        if (!parsed.GetValue(ProducerCommandLine.Wait))
        {
            return UsageErrors.Report(Name, "publish needs --wait: the publishing process is the one that collects the results");
        }
        var overrides = ProducerCommandLine.ToConfiguration(parsed, out var error);
        var stdin = overrides is null ? null : ProducerCommandLine.ToStdin(parsed, out error);
        var jobs = overrides is null || error is not null || stdin is not null ? null : ProducerCommandLine.ToJobs(parsed, out error);
        if (overrides is null || error is not null || (jobs is null && stdin is null))
        {
            return UsageErrors.Report(Name, error!);
        }

        if (stdin is not null)
        {
            return await RunHostedAsync(
                overrides, (services, interrupts) => services.GetRequiredService<PublishCommand>().RunStdinAsync(stdin, interrupts.Stop),
                PublishCommand.StdinLost, stop);
        }
        return await RunHostedAsync(
            overrides, (services, interrupts) => services.GetRequiredService<PublishCommand>().RunAsync(jobs!, interrupts), ResumeHint, stop);
    }

    private const string ResumeHint = "run the same command again to resume from the checkpoint";

    /// <summary>Builds the host of a one-shot command from <paramref name="overrides"/>, checks its configuration, and
    /// runs <paramref name="command"/> until done or interrupted (then says so, and <paramref name="whatNow"/>).</summary>
    private static async Task<int> RunHostedAsync(
        Dictionary<string, string?> overrides, Func<IServiceProvider, PublishInterrupts, Task<int>> command, string whatNow,
        CancellationToken stop)
    {
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
            return await command(host.Services, interrupts);
        }
        catch (OperationCanceledException) when (interrupts.Stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"{Name}: interrupted; {whatNow}");
            return ExitInterrupted;
        }
    }
}
