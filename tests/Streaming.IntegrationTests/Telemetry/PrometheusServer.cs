using System.Globalization;
using System.Text.Json;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package; <c>.ci/run</c> installs it) on a free port with its own
/// storage, scraping the given targets every second. Debian 12's Prometheus (2.42) has no OTLP receiver, so the
/// services serve a scrape endpoint (<c>OTEL_METRICS_EXPORTER=prometheus</c>) with the same metric names the
/// OpenTelemetry Collector's Prometheus exporter gives them in the Docker Compose setup.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/prometheus";
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly ServiceProcess _process;
    private readonly HttpClient _http;

    private PrometheusServer(ServiceProcess process, int port)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Starts Prometheus with one scrape job per entry of <paramref name="jobs"/> (job name → host:port targets).</summary>
    public static async Task<PrometheusServer> StartAsync(string directory, IReadOnlyDictionary<string, string[]> jobs)
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"{Executable} is missing: apt-get install prometheus (.ci/run does)", Executable);
        }
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n" + string.Concat(jobs.Select(job =>
            $"  - job_name: {job.Key}\n    static_configs:\n      - targets: [{string.Join(", ", job.Value.Select(t => $"'{t}'"))}]\n")));
        var port = FreePorts.Pick();
        var process = ServiceProcess.Start(Executable,
        [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "tsdb")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        ], name: "prometheus");
        var server = new PrometheusServer(process, port);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Evaluates <paramref name="query"/> over a time range, as a Grafana time-series panel does; returns
    /// its series (empty when the query matched nothing) or throws with Prometheus' error.</summary>
    public async Task<List<JsonElement>> QueryRangeAsync(string query, DateTimeOffset start, DateTimeOffset end, CancellationToken cancellationToken)
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["query"] = query,
            ["start"] = start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["end"] = end.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["step"] = "1",
        });
        using var response = await _http.PostAsync("/api/v1/query_range", form, cancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus rejected '{query}': {root.GetProperty("error").GetString()}");
        }
        return root.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    public string Describe() => _process.Describe();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _process.Terminate();
        try
        {
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            // Killed by WaitForExitAsync; nothing else to clean up.
        }
        await _process.DisposeAsync();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var deadline = new CancellationTokenSource(s_startTimeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited at start{Environment.NewLine}{_process.Describe()}");
            }
            try
            {
                using var response = await _http.GetAsync("/-/ready", deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Prometheus was not ready within {s_startTimeout.TotalSeconds} s{Environment.NewLine}{_process.Describe()}");
            }
            await Task.Delay(200, CancellationToken.None);
        }
    }
}
