using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Health;

namespace Streaming.Messaging.Hosting;

/// <summary>
/// The defaults both services share: configuration from appsettings.json, environment variables and the command
/// line (in that order of precedence, last wins), single-line logs on stderr, validated options.
/// </summary>
internal static class ServiceHost
{
    public static HostApplicationBuilder CreateBuilder(IDictionary<string, string?> commandLineOverrides)
    {
        // appsettings.json is read once: no file watcher (an inotify instance, a scarce resource per user) for a
        // reload the services would not act on.
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("hostBuilder:reloadConfigOnChange", "false")]);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            Configuration = configuration,
        });
        builder.Configuration.AddInMemoryCollection(commandLineOverrides);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // The health check service logs every unhealthy check as an error, every few seconds; the health file
        // publisher logs each change of state once instead.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static IServiceCollection AddValidatedOptions<
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(
        this IServiceCollection services, OptionsSection<T> section)
        where T : class
    {
        services.AddOptions<T>()
            .Configure<IConfiguration>((options, configuration) => section.Bind(configuration.GetSection(section.Name), options))
            .ValidateOnStart();
        services.AddSingleton(section.Validator);
        return services;
    }

    /// <summary>The broker connector, and a health check on its connection that a hosted service publishes to the
    /// health file (<see cref="HealthOptions"/>) while the host runs.</summary>
    public static IServiceCollection AddStreamingBroker(this IServiceCollection services)
    {
        services.AddValidatedOptions(RabbitMqOptions.Section);
        services.AddValidatedOptions(HealthOptions.Section);
        services.AddSingleton<BrokerConnectionState>();
        services.AddSingleton<BrokerConnector>();
        services.AddHealthChecks().AddCheck<BrokerHealthCheck>(BrokerHealthCheck.Name);
        services.AddSingleton<IHealthCheckPublisher, HealthFilePublisher>();
        services.AddOptions<HealthCheckPublisherOptions>().Configure<IOptions<HealthOptions>>((publisher, health) =>
        {
            publisher.Delay = TimeSpan.FromSeconds(1);
            publisher.Period = TimeSpan.FromSeconds(health.Value.IntervalSeconds);
        });
        return services;
    }

    /// <summary>Binds and validates a section up front, so bad configuration is exit 2 before anything starts.</summary>
    public static bool TryValidate<T>(HostApplicationBuilder builder, OptionsSection<T> section, out T? options, out string? error)
        where T : class, new()
    {
        options = new T();
        try
        {
            section.Bind(builder.Configuration.GetSection(section.Name), options);
        }
        catch (InvalidOperationException ex)
        {
            error = $"configuration section {section.Name}: {ex.Message}";
            options = null;
            return false;
        }
        var result = section.Validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            error = $"configuration section {section.Name}: {string.Join("; ", result.Failures)}";
            options = null;
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Runs a service until SIGTERM/SIGINT or <paramref name="stop"/>, and returns its exit code (0, or what
    /// a worker set in <see cref="Environment.ExitCode"/>).</summary>
    public static async Task<int> RunUntilStoppedAsync(IHost host, CancellationToken stop)
    {
        try
        {
            await host.RunAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped before it had started: nothing was taken.
        }
        return Environment.ExitCode;
    }

    /// <summary>Checks what every service shares: the RabbitMq and Health sections and the log levels.</summary>
    public static bool TryValidateBroker(HostApplicationBuilder builder, out string? error)
    {
        if (!TryValidate(builder, RabbitMqOptions.Section, out var options, out error)
            || !TryValidate(builder, HealthOptions.Section, out var health, out error)
            || !HealthFileCheck.TryCheck(health!.File, out error)
            || !TryValidateLogLevels(builder.Configuration.GetSection("Logging"), out error))
        {
            return false;
        }
        return options!.TryParseAddress(out error) is not null;
    }

    /// <summary>Every <c>Logging[:Provider]:LogLevel:Category</c> value must be a level: the logging configuration
    /// throws on the first log line otherwise, long after start-up.</summary>
    private static bool TryValidateLogLevels(IConfigurationSection logging, out string? error)
    {
        foreach (var entry in logging.AsEnumerable())
        {
            var path = entry.Key.Split(':');
            if (entry.Value is { Length: > 0 } value && path.Length >= 3 && path[^2] == "LogLevel"
                && !Enum.TryParse<LogLevel>(value, ignoreCase: true, out _))
            {
                error = $"{entry.Key}: '{value}' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None)";
                return false;
            }
        }
        error = null;
        return true;
    }
}
