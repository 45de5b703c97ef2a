using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Streaming.Messaging.Connection;

namespace Streaming.Messaging.Hosting;

/// <summary>
/// The defaults both services share: configuration from appsettings.json, environment variables and the command
/// line (in that order of precedence, last wins), single-line logs on stderr, validated options.
/// </summary>
public static class ServiceHost
{
    public static HostApplicationBuilder CreateBuilder(IDictionary<string, string?> commandLineOverrides)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(commandLineOverrides);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static IServiceCollection AddValidatedOptions<T>(this IServiceCollection services, string sectionName)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(sectionName).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    public static IServiceCollection AddStreamingBroker(this IServiceCollection services)
    {
        services.AddValidatedOptions<RabbitMqOptions>(RabbitMqOptions.SectionName);
        services.AddSingleton<BrokerConnector>();
        return services;
    }

    /// <summary>Binds and validates a section up front, so bad configuration is exit 2 before anything starts.</summary>
    public static bool TryValidate<T>(HostApplicationBuilder builder, string sectionName, out T? options, out string? error)
        where T : class, new()
    {
        options = new T();
        try
        {
            builder.Configuration.GetSection(sectionName).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            error = $"configuration section {sectionName}: {ex.InnerException?.Message ?? ex.Message}";
            options = null;
            return false;
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            error = $"configuration section {sectionName}: {string.Join("; ", results.Select(r => r.ErrorMessage))}";
            options = null;
            return false;
        }
        error = null;
        return true;
    }

    public static bool TryValidateBroker(HostApplicationBuilder builder, out string? error)
    {
        if (!TryValidate<RabbitMqOptions>(builder, RabbitMqOptions.SectionName, out var options, out error))
        {
            return false;
        }
        return options!.TryParseUri(out error) is not null;
    }
}
