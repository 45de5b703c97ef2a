using System.Text;
using RabbitMQ.Client;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>
/// A real Prometheus scrapes the real services through a run, then every query of the provisioned Streaming
/// dashboard (read from its JSON) must return data: a renamed metric or label breaks this test, not the dashboard.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class DashboardMetricsTests(RabbitMqBroker broker)
{
    private const int Lines = 8_000;
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task StreamingDashboard_AfterARunScrapedByPrometheus_EveryPanelQueryReturnsData()
    {
        var queries = DashboardQueries.Read("streaming.json");
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var producerPort = FreePorts.Pick();
        var consumerPorts = new[] { FreePorts.Pick(producerPort), FreePorts.Pick(producerPort) };
        await using var prometheus = await PrometheusServer.StartAsync(pipeline.Directory, new Dictionary<string, string[]>
        {
            ["streaming-producer"] = [$"127.0.0.1:{producerPort}"],
            ["streaming-consumer"] = [.. consumerPorts.Select(p => $"127.0.0.1:{p}")],
        });
        var started = DateTimeOffset.UtcNow.AddSeconds(-5);

        // delay:20 with 8 lines in work per consumer: ~800 lines/s for the two, so the run spans many scrapes.
        var consumers = consumerPorts
            .Select(port => pipeline.StartConsumer("delay:20", environment: ScrapeEndpoint(port), extra: ["--concurrency", "8"]))
            .ToList();
        foreach (var consumer in consumers)
        {
            await consumer.WaitForOutputAsync("Consuming streaming.lines", TimeSpan.FromSeconds(90));
        }
        await PublishGarbageAsync(pipeline.Uri);
        // Early in the file, the one line over the producer's line limit below fails: its counter starts mid-run.
        var content = new StringBuilder().Append('x', 3_000).Append('\n');
        for (var i = 1; i <= Lines; i++)
        {
            content.Append("line ").Append(i).Append('\n');
        }
        var input = pipeline.WriteInput("scraped.txt", Encoding.ASCII.GetBytes(content.ToString()));
        var environment = ScrapeEndpoint(producerPort);
        environment["Producer__MaxLineBytes"] = "2048";
        var producer = pipeline.StartPublish([input], environment, "--batch-lines", "200");
        Assert.True(await producer.WaitForExitAsync(s_runTimeout) == 1, producer.Describe());
        Assert.Equal(1, TestPipeline.ReadSummary(input).GetProperty("failedLines").GetInt64());

        var empty = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        foreach (var (panel, refId, query) in queries)
        {
            var series = await prometheus.QueryRangeAsync(query, started, DateTimeOffset.UtcNow, timeout.Token);
            if (series.Count == 0)
            {
                empty.Add($"{panel} [{refId}]: {query}");
            }
        }
        Assert.True(queries.Count >= 20, $"only {queries.Count} queries were read from the dashboard");
        Assert.True(empty.Count == 0,
            $"{empty.Count} of {queries.Count} dashboard queries returned no data:{Environment.NewLine}{string.Join(Environment.NewLine, empty)}");
    }

    private static Dictionary<string, string?> ScrapeEndpoint(int port) => new()
    {
        ["OTEL_METRICS_EXPORTER"] = "prometheus",
        ["OTEL_EXPORTER_PROMETHEUS_HOST"] = "127.0.0.1",
        ["OTEL_EXPORTER_PROMETHEUS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A message no consumer can decode: dead-lettered with a reason, so the dead-letter panel has data.</summary>
    private static async Task PublishGarbageAsync(string uri)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.BasicPublishAsync("", QueueNames.Work, true, new BasicProperties { Persistent = true }, "not a batch"u8.ToArray());
    }
}
