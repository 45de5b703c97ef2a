using System.Reflection;
using System.Text.Json;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>
/// The .NET Aspire dashboard as a real OTLP receiver: the self-contained executable from the
/// <c>Aspire.Dashboard.Sdk.linux-x64</c> package (restored with this project), started on free ports with
/// unsecured local settings. Its HTTP API (<c>/api/telemetry/traces</c>, <c>/api/telemetry/logs</c>) answers OTLP JSON.
/// </summary>
internal sealed class AspireDashboard : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(90);
    private readonly ServiceProcess _process;
    private readonly HttpClient _http;

    private AspireDashboard(ServiceProcess process, int frontendPort, int otlpPort)
    {
        _process = process;
        OtlpEndpoint = $"http://127.0.0.1:{otlpPort}";
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{frontendPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>OTLP/gRPC, what <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> points at.</summary>
    public string OtlpEndpoint { get; }

    public static string ExecutablePath { get; } =
        typeof(AspireDashboard).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "AspireDashboard").Value!;

    public static async Task<AspireDashboard> StartAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new FileNotFoundException($"the Aspire dashboard is not at {ExecutablePath}; run dotnet restore", ExecutablePath);
        }
        var frontend = FreePorts.Pick();
        var otlp = FreePorts.Pick(frontend);
        var process = ServiceProcess.Start(ExecutablePath, [], new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{frontend}",
            ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{otlp}",
            ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
            ["DOTNET_NOLOGO"] = "1",
        }, name: "aspire-dashboard");
        var dashboard = new AspireDashboard(process, frontend, otlp);
        try
        {
            await process.WaitForOutputAsync("OTLP/gRPC listening on", s_startTimeout);
            return dashboard;
        }
        catch
        {
            await dashboard.DisposeAsync();
            throw;
        }
    }

    /// <summary>What a service needs to export to this dashboard, flushing spans, logs and metrics quickly.</summary>
    public Dictionary<string, string?> ExportEnvironment() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = OtlpEndpoint,
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
    };

    public async Task<List<OtlpSpan>> GetSpansAsync(string traceId, CancellationToken cancellationToken) =>
        OtlpSpan.Parse(await GetAsync($"/api/telemetry/traces/{traceId}", cancellationToken));

    public async Task<List<OtlpSpan>> GetAllSpansAsync(CancellationToken cancellationToken) =>
        OtlpSpan.Parse(await GetAsync("/api/telemetry/traces", cancellationToken));

    /// <summary>The resource (service name, instance id) of every log record the dashboard holds.</summary>
    public async Task<List<(string Service, string Instance)>> GetLogResourcesAsync(CancellationToken cancellationToken)
    {
        using var document = await GetAsync("/api/telemetry/logs", cancellationToken);
        return document.RootElement.GetProperty("data").GetProperty("resourceLogs").EnumerateArray()
            .Select(r => OtlpSpan.ReadAttributes(r.GetProperty("resource")))
            .Select(a => (a.GetValueOrDefault("service.name", ""), a.GetValueOrDefault("service.instance.id", "")))
            .ToList();
    }

    public string Describe() => _process.Describe();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
    }

    private async Task<JsonDocument> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return JsonDocument.Parse("""{"data":{"resourceSpans":[]}}""");
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
    }
}
