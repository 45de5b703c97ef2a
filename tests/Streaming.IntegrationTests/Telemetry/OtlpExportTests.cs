using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Telemetry;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>The real services exporting over OTLP to a real receiver, the .NET Aspire dashboard.</summary>
[Collection(BrokerCollection.Name)]
public sealed class OtlpExportTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan s_exportTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Publish_TwoFilesTwoConsumersExportingOverOtlp_OneTracePerFileWithProducerConsumerAndCollectorSpans()
    {
        await using var dashboard = await AspireDashboard.StartAsync();
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var export = dashboard.ExportEnvironment();
        var consumers = new[] { pipeline.StartConsumer("upper", environment: export), pipeline.StartConsumer("upper", environment: export) };
        foreach (var consumer in consumers)
        {
            await consumer.WaitForOutputAsync("Consuming streaming.lines", TimeSpan.FromSeconds(90));
        }
        string[] inputs =
        [
            pipeline.WriteInput("first.txt", [.. Enumerable.Range(1, 1_500).SelectMany(i => System.Text.Encoding.UTF8.GetBytes($"first {i}\n"))]),
            pipeline.WriteInput("second.txt", [.. Enumerable.Range(1, 700).SelectMany(i => System.Text.Encoding.UTF8.GetBytes($"second {i}\n"))]),
        ];

        var producer = pipeline.StartPublish(inputs, export, "--batch-lines", "100");
        Assert.True(await producer.WaitForExitAsync(s_publishTimeout) == 0, producer.Describe());

        using var deadline = new CancellationTokenSource(s_exportTimeout);
        var traceIds = new List<string>();
        foreach (var input in inputs)
        {
            var summary = TestPipeline.ReadSummary(input);
            var traceId = summary.GetProperty("traceId").GetString()!;
            var batches = (int)summary.GetProperty("batches").GetInt64();
            traceIds.Add(traceId);
            var spans = await WaitForTraceAsync(dashboard, traceId, batches, deadline.Token);

            var root = Assert.Single(spans, s => s.Name == "process file");
            Assert.Equal(TelemetryNames.ProducerService, root.Service);
            Assert.Equal("", root.ParentSpanId);
            Assert.Equal(Path.GetFileName(input), root.Attributes[TelemetryNames.FileName]);
            var publishes = spans.Where(s => s.Service == TelemetryNames.ProducerService && s.Name == "publish streaming.lines")
                .ToDictionary(s => s.SpanId);
            var processing = spans.Where(s => s.Name == "process streaming.lines").ToList();
            Assert.Equal(batches, processing.Count);
            Assert.All(processing, s =>
            {
                Assert.Equal(TelemetryNames.ConsumerService, s.Service);
                Assert.Equal(OtlpSpan.KindConsumer, s.Kind);
                Assert.True(publishes.ContainsKey(s.ParentSpanId), $"consumer span {s.SpanId} is not a child of a producer publish");
                Assert.Equal([s.ParentSpanId], s.LinkedSpanIds);
            });
            var collected = spans.Where(s => s.Name == "process streaming.results").ToList();
            Assert.Equal(batches, collected.Count);
            Assert.All(collected, s => Assert.Equal(TelemetryNames.ProducerService, s.Service));
            Assert.Equal(
                Enumerable.Range(0, batches).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(),
                collected.Select(s => s.Attributes[TelemetryNames.BatchSequence]).Order());
        }

        var everyTrace = (await dashboard.GetAllSpansAsync(deadline.Token)).Select(s => s.TraceId).Distinct().Order();
        Assert.Equal(traceIds.Order(), everyTrace);
        Assert.Equal(2, await WaitForConsumerInstancesAsync(dashboard, 2, deadline.Token));
    }

    /// <summary>Waits until the consumers' logs (exported by each with its resource) name that many instances.</summary>
    private static async Task<int> WaitForConsumerInstancesAsync(AspireDashboard dashboard, int expected, CancellationToken cancellationToken)
    {
        while (true)
        {
            var instances = (await dashboard.GetLogResourcesAsync(cancellationToken))
                .Where(r => r.Service == TelemetryNames.ConsumerService).Select(r => r.Instance).Distinct().Count();
            if (instances >= expected || cancellationToken.IsCancellationRequested)
            {
                return instances;
            }
            await Task.Delay(250, CancellationToken.None);
        }
    }

    /// <summary>Waits until the dashboard holds the file's whole trace: every batch processed and collected.</summary>
    private static async Task<List<OtlpSpan>> WaitForTraceAsync(
        AspireDashboard dashboard, string traceId, int batches, CancellationToken cancellationToken)
    {
        while (true)
        {
            var spans = await dashboard.GetSpansAsync(traceId, cancellationToken);
            if (spans.Count(s => s.Name == "process streaming.lines") >= batches
                && spans.Count(s => s.Name == "process streaming.results") >= batches
                && spans.Any(s => s.Name == "process file"))
            {
                return spans;
            }
            try
            {
                await Task.Delay(250, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"trace {traceId} was not complete in the dashboard: {spans.Count} spans " +
                    $"({string.Join(", ", spans.GroupBy(s => s.Name).Select(g => $"{g.Count()} {g.Key}"))}){Environment.NewLine}{dashboard.Describe()}");
            }
        }
    }
}
