using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Streaming.Messaging.Telemetry;

namespace Streaming.UnitTests.Messaging.Telemetry;

public sealed class StreamingTelemetryTests
{
    [Fact]
    public void AddStreamingTelemetry_NoOtelVariables_BuildsNoTelemetryPipeline()
    {
        using var host = Build(new Dictionary<string, string?>());

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void AddStreamingTelemetry_OtlpEndpointSet_TracesAndMetersWithTheServiceAndAnInstanceOfThisProcess()
    {
        using var host = Build(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });

        var tracing = host.Services.GetRequiredService<TracerProvider>();
        Assert.NotNull(host.Services.GetService<MeterProvider>());
        var resource = tracing.GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("streaming-test", resource["service.name"]);
        Assert.Equal(StreamingTelemetry.InstanceId, resource["service.instance.id"]);
        Assert.Contains($"-{Environment.ProcessId}-", StreamingTelemetry.InstanceId, StringComparison.Ordinal);
    }

    [Fact]
    public void AddStreamingTelemetry_StandardResourceVariables_OverrideTheDefaults()
    {
        using var host = Build(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
            ["OTEL_SERVICE_NAME"] = "renamed",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=consumer-7,deployment.environment.name=test",
        });

        var resource = host.Services.GetRequiredService<TracerProvider>().GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("renamed", resource["service.name"]);
        Assert.Equal("consumer-7", resource["service.instance.id"]);
        Assert.Equal("test", resource["deployment.environment.name"]);
    }

    [Fact]
    public void AddStreamingTelemetry_PrometheusMetricsExporterOnly_MetersWithoutTracing()
    {
        using var host = Build(new Dictionary<string, string?>
        {
            ["OTEL_METRICS_EXPORTER"] = "prometheus",
            ["OTEL_EXPORTER_PROMETHEUS_PORT"] = "0",
        });

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Theory]
    [InlineData(null, null, false, false)]
    [InlineData("http://collector:4317", null, true, false)]
    [InlineData(" ", "none", false, false)]
    [InlineData(null, "otlp, Prometheus", false, true)]
    [InlineData("http://collector:4318", "prometheus", true, true)]
    public void TelemetryExporters_From_ReadsTheStandardVariables(string? endpoint, string? metricsExporter, bool otlp, bool prometheus)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TelemetryExporters.OtlpEndpointVariable] = endpoint,
            [TelemetryExporters.MetricsExporterVariable] = metricsExporter,
        }).Build();

        Assert.Equal(new TelemetryExporters(otlp, prometheus), TelemetryExporters.From(configuration));
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Configuration = configuration });
        builder.AddStreamingTelemetry("streaming-test");
        return builder.Build();
    }
}
