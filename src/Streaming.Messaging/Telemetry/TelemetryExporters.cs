using Microsoft.Extensions.Configuration;

namespace Streaming.Messaging.Telemetry;

/// <summary>
/// Which exporters the standard OpenTelemetry variables ask for. OTLP (traces, metrics and logs) only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; a Prometheus scrape endpoint only when <c>OTEL_METRICS_EXPORTER</c>
/// names <c>prometheus</c> (served on <c>OTEL_EXPORTER_PROMETHEUS_HOST</c>:<c>OTEL_EXPORTER_PROMETHEUS_PORT</c>,
/// default localhost:9464). Nothing set: nothing is exported and no telemetry pipeline is built.
/// </summary>
internal sealed record TelemetryExporters(bool Otlp, bool Prometheus)
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string MetricsExporterVariable = "OTEL_METRICS_EXPORTER";

    public bool Any => Otlp || Prometheus;

    public static TelemetryExporters From(IConfiguration configuration)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        var metricsExporters = (configuration[MetricsExporterVariable] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var prometheus = metricsExporters.Contains("prometheus", StringComparer.OrdinalIgnoreCase);
        return new TelemetryExporters(otlp, prometheus);
    }
}
