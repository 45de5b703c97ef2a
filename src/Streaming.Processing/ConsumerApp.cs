using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streaming.Consumer.Processing;
using Streaming.Consumer.Processors;
using Streaming.Consumer.Processors.Exec;
using Streaming.Messaging.Hosting;
using Streaming.Messaging.Telemetry;

namespace Streaming.Consumer;

/// <summary>Runs the consumer service; a host for custom processors calls this from its own Main.</summary>
public static class ConsumerApp
{
    /// <summary>Parses <paramref name="args"/>, runs until SIGTERM/SIGINT, and returns the process exit code:
    /// 0 after a clean stop, 2 for bad usage or configuration (one line on stderr, before touching the broker).</summary>
    /// <param name="args">The command line (docs/command-line.md).</param>
    /// <param name="registerProcessors">Adds user processors to the built-in ones.</param>
    /// <param name="stop">Stops the service as SIGTERM would (already cancelled: right after the start-up checks).</param>
    public static async Task<int> RunAsync(
        string[] args, Action<ProcessorCatalog>? registerProcessors = null, CancellationToken stop = default)
    {
        var command = ConsumerCommandLine.Create();
        var parsed = command.Parse(args);
        if (UsageErrors.IsHelpRequest(parsed))
        {
            return await parsed.InvokeAsync(cancellationToken: CancellationToken.None);
        }
        if (UsageErrors.FirstError(parsed) is { } parseError)
        {
            return UsageErrors.Report("Consumer", parseError);
        }
        var overrides = ConsumerCommandLine.ToConfiguration(parsed, out var usageError);
        if (overrides is null)
        {
            return UsageErrors.Report("Consumer", usageError!);
        }

        var catalog = ProcessorCatalog.CreateDefault();
        registerProcessors?.Invoke(catalog);

        var builder = ServiceHost.CreateBuilder(overrides);
        builder.Services.AddValidatedOptions(ConsumerOptions.Section);
        builder.Services.AddStreamingBroker();
        builder.AddStreamingTelemetry(TelemetryNames.ConsumerService);
        builder.Services.AddHostedService<LineConsumerService>();

        if (!ServiceHost.TryValidate(builder, ConsumerOptions.Section, out var options, out var configError)
            || !ServiceHost.TryValidateBroker(builder, out configError))
        {
            return UsageErrors.Report("Consumer", configError!);
        }
        ILoggerFactory? loggers = null;
        var execSettings = ExecSettings.From(options!);
        catalog.Register(ExecLineProcessor.Name, new ExecProcessorDefinition(
            execSettings, () => loggers!.CreateLogger("Streaming.Consumer.Exec")).Define);
        var factory = catalog.Resolve(options!.Processor, out var processorError);
        if (factory is null)
        {
            return UsageErrors.Report("Consumer", processorError!);
        }
        if (options.Processor.StartsWith(ExecLineProcessor.Name + ":", StringComparison.Ordinal)
            && await ExecStartupCheck.RunAsync(options.Processor[(ExecLineProcessor.Name.Length + 1)..], execSettings) is { } execError)
        {
            return UsageErrors.Report("Consumer", execError);
        }
        builder.Services.AddSingleton(factory);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.DrainSeconds + 8));

        using var host = builder.Build();
        loggers = host.Services.GetRequiredService<ILoggerFactory>();
        return await ServiceHost.RunUntilStoppedAsync(host, stop);
    }
}
