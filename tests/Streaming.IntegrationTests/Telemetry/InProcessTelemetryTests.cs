using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Streaming.Consumer;
using Streaming.Consumer.Processing;
using Streaming.Consumer.Processors;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Health;
using Streaming.Messaging.Telemetry;
using Streaming.Producer;
using Streaming.Producer.Jobs;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>
/// The producer and two consumers hosted in this process against the real broker, with OpenTelemetry's in-memory
/// exporters listening to exactly what the services' telemetry defaults listen to.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class InProcessTelemetryTests(RabbitMqBroker broker)
{
    private const int BatchLines = 100;
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Publish_OneFileTwoConsumers_EveryBatchIsProcessedInTheFilesTraceLinkedToItsPublishAndCountersMatchTheRun()
    {
        var spans = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddStreamingTracing().AddInMemoryExporter(spans).Build();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(TelemetryNames.Meter).AddInMemoryExporter(metrics).Build();
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = string.Concat(Enumerable.Range(1, 2_450).Select(i => $"line {i} of the file\n"))
            + "\xff is not UTF-8, so upper fails it\n";
        var input = pipeline.WriteInput("traced.txt", [.. System.Text.Encoding.Latin1.GetBytes(content)]);

        var rabbit = Options.Create(new RabbitMqOptions { Uri = pipeline.Uri });
        var connector = new BrokerConnector(rabbit, new BrokerConnectionState(), NullLogger<BrokerConnector>.Instance);
        var upper = ProcessorCatalog.CreateDefault().Resolve("upper", out _)!;
        var consumers = Enumerable.Range(0, 2).Select(_ => new LineConsumerService(
            connector, Options.Create(new ConsumerOptions { Processor = "upper" }), rabbit, upper,
            NullLogger<LineConsumerService>.Instance)).ToList();
        int code;
        using (var timeout = new CancellationTokenSource(s_runTimeout))
        {
            foreach (var consumer in consumers)
            {
                await consumer.StartAsync(timeout.Token);
            }
            await WorkQueue.WaitForConsumersAsync(pipeline.Uri, 2, timeout.Token);
            var publish = new PublishCommand(connector, Options.Create(new ProducerOptions { BatchLines = BatchLines }), rabbit,
                TimeProvider.System, NullLoggerFactory.Instance);
            code = await publish.RunAsync([new JobFiles(input, pipeline.Directory)], timeout.Token);
            foreach (var consumer in consumers)
            {
                await consumer.StopAsync(timeout.Token);
                consumer.Dispose();
            }
        }
        tracing.ForceFlush();
        meters.ForceFlush();

        Assert.Equal(1, code);
        var summary = TestPipeline.ReadSummary(input);
        var traceId = summary.GetProperty("traceId").GetString();
        var lines = summary.GetProperty("lines").GetInt64();
        var batches = (int)summary.GetProperty("batches").GetInt64();
        Assert.Equal(2_451, lines);
        Assert.Equal(25, batches);
        Activity[] ended;
        lock (spans)
        {
            ended = [.. spans];
        }
        var ours = ended.Where(s => s.Source.Name is TelemetryNames.ProducerSource or TelemetryNames.ConsumerSource).ToList();
        Assert.All(ours, s => Assert.Equal(traceId, s.TraceId.ToHexString()));
        var trace = ended.Where(s => s.TraceId.ToHexString() == traceId).ToList();

        var root = Assert.Single(trace, s => s.OperationName == "process file");
        Assert.Equal(default, root.ParentSpanId);
        var creates = trace.Where(s => s.OperationName == "create streaming.lines").ToDictionary(s => s.SpanId);
        Assert.Equal(batches, creates.Count);
        Assert.All(creates.Values, s => Assert.Equal(root.SpanId, s.ParentSpanId));
        var publishes = trace.Where(s => s.Source.Name == TelemetryNames.RabbitMqPublisherSource && s.OperationName == "publish streaming.lines")
            .ToDictionary(s => s.SpanId);
        var processing = trace.Where(s => s.Source.Name == TelemetryNames.ConsumerSource && s.OperationName == "process streaming.lines").ToList();
        Assert.Equal(Enumerable.Range(0, batches).Select(i => (long)i), processing.Select(Sequence).Order());
        foreach (var span in processing)
        {
            Assert.Equal(ActivityKind.Consumer, span.Kind);
            var link = Assert.Single(span.Links);
            Assert.Equal(span.ParentSpanId, link.Context.SpanId);
            Assert.True(publishes.TryGetValue(link.Context.SpanId, out var publish), "the consumer span links to a span that is not a publish of this file");
            Assert.Equal(Sequence(span), Sequence(creates[publish.ParentSpanId]));
            Assert.Equal(Sequence(span) == batches - 1 ? 51 : BatchLines, span.GetTagItem(TelemetryNames.BatchLines));
        }
        var collected = trace.Where(s => s.OperationName == "process streaming.results").ToList();
        Assert.Equal(Enumerable.Range(0, batches).Select(i => (long)i), collected.Select(Sequence).Order());

        Assert.Equal(lines, Sum(metrics, TelemetryNames.LinesPublished));
        Assert.Equal(batches, Sum(metrics, TelemetryNames.BatchesPublished));
        Assert.Equal(lines, Sum(metrics, TelemetryNames.LinesProcessed));
        Assert.Equal(batches, Sum(metrics, TelemetryNames.BatchesProcessed));
        Assert.Equal(1, Sum(metrics, TelemetryNames.LinesFailed));
        Assert.Equal(batches, HistogramCount(metrics, TelemetryNames.BatchProcessingDuration));
        Assert.Equal(batches, HistogramCount(metrics, TelemetryNames.BatchEndToEndDuration));
        Assert.Equal(0, Sum(metrics, TelemetryNames.ConsumerLinesActive));
        Assert.Equal(0, Sum(metrics, TelemetryNames.ConsumerMessagesUnacked));
    }

    private static long Sequence(Activity span) => (long)span.GetTagItem(TelemetryNames.BatchSequence)!;

    private static MetricSnapshot Latest(List<MetricSnapshot> metrics, string name)
    {
        lock (metrics)
        {
            return metrics.Last(m => m.Name == name);
        }
    }

    private static long Sum(List<MetricSnapshot> metrics, string name) =>
        Latest(metrics, name).MetricPoints.Sum(p => p.GetSumLong());

    private static long HistogramCount(List<MetricSnapshot> metrics, string name) =>
        Latest(metrics, name).MetricPoints.Sum(p => p.GetHistogramCount());
}
