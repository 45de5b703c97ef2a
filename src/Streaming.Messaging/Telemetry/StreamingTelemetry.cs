using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Streaming.Messaging.Telemetry;

/// <summary>
/// The telemetry defaults both services share (like Aspire's ServiceDefaults): traces from Streaming's and
/// RabbitMQ.Client's sources, the <c>Streaming</c> meter with runtime and process metrics, logs with trace and span
/// ids, exported only as the standard <c>OTEL_*</c> variables ask (<see cref="TelemetryExporters"/>). The resource
/// carries the service name and a <c>service.instance.id</c> unique to this process, so every scaled consumer
/// reports as its own instance; <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c> override both.
/// </summary>
internal static class StreamingTelemetry
{
    /// <summary>This process's <c>service.instance.id</c>: host and pid for people, a random suffix for uniqueness
    /// (a restarted container keeps its host name and pid 1).</summary>
    public static string InstanceId { get; } =
        $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    public static HostApplicationBuilder AddStreamingTelemetry(this HostApplicationBuilder builder, string serviceName)
    {
        // Console lines show the trace and span ids of the activity they were written in (the host tracks them).
        builder.Services.Configure<SimpleConsoleFormatterOptions>(o => o.IncludeScopes = true);

        var exporters = TelemetryExporters.From(builder.Configuration);
        if (!exporters.Any)
        {
            // No listener on any source or meter: StartActivity returns null and instruments stay disabled.
            return builder;
        }
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(serviceName, serviceVersion: Version, autoGenerateServiceInstanceId: false, serviceInstanceId: InstanceId)
                .AddEnvironmentVariableDetector())
            .WithMetrics(metrics =>
            {
                metrics.AddStreamingMetrics();
                if (exporters.Prometheus)
                {
                    metrics.AddPrometheusHttpListener();
                }
            });
        if (exporters.Otlp)
        {
            telemetry
                .WithTracing(tracing => tracing.AddStreamingTracing())
                .WithLogging(configureBuilder: null, configureOptions: o =>
                {
                    o.IncludeFormattedMessage = true;
                    o.IncludeScopes = true;
                })
                .UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>Builds the providers of a host that is never started (the CLI producer): hosted services would.</summary>
    public static void StartStreamingTelemetry(this IServiceProvider services)
    {
        services.GetService<TracerProvider>();
        services.GetService<MeterProvider>();
    }

    /// <summary>Streaming's sources and RabbitMQ.Client's publisher source (which propagates the trace context).</summary>
    public static TracerProviderBuilder AddStreamingTracing(this TracerProviderBuilder tracing) =>
        tracing.AddSource(TelemetryNames.ProducerSource, TelemetryNames.ConsumerSource, TelemetryNames.RabbitMqPublisherSource);

    /// <summary>The <c>Streaming</c> meter with the .NET runtime's and the process's own metrics.</summary>
    public static MeterProviderBuilder AddStreamingMetrics(this MeterProviderBuilder metrics) =>
        metrics.AddMeter(TelemetryNames.Meter).AddRuntimeInstrumentation().AddProcessInstrumentation();

    private static string? Version =>
        typeof(StreamingTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
}
