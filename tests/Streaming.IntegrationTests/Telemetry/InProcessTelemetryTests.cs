using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Telemetry;

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

        int code;
        await using (var services = new InProcessServices(pipeline.Uri, "upper", BatchLines))
        using (var timeout = new CancellationTokenSource(s_runTimeout))
        {
            await services.StartConsumersAsync(2, timeout.Token);
            code = await services.PublishAsync(input, pipeline.Directory, timeout.Token);
            await services.StopConsumersAsync(timeout.Token);
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

    [Fact]
    public async Task Publish_ResumedAfterAnInterruption_TheResumedRunContinuesTheFirstRunsTrace()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddStreamingTracing().AddInMemoryExporter(spans).Build();
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var input = pipeline.WriteInput("resumed.txt", [.. System.Text.Encoding.ASCII.GetBytes(
            string.Concat(Enumerable.Range(1, 1_000).Select(i => $"line {i}\n")))]);
        await using var services = new InProcessServices(pipeline.Uri, "identity", BatchLines);

        // First run: no consumer yet, so it cannot finish; interrupted once its checkpoint is on disk.
        using (var interrupt = new CancellationTokenSource(s_runTimeout))
        {
            var firstRun = services.PublishAsync(input, pipeline.Directory, interrupt.Token);
            await WaitForFileAsync(input + ".checkpoint.json", interrupt.Token);
            await interrupt.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => firstRun);
        }
        int code;
        using (var timeout = new CancellationTokenSource(s_runTimeout))
        {
            await services.StartConsumersAsync(2, timeout.Token);
            code = await services.PublishAsync(input, pipeline.Directory, timeout.Token);
            await services.StopConsumersAsync(timeout.Token);
        }
        tracing.ForceFlush();

        Assert.Equal(0, code);
        Activity[] ended;
        lock (spans)
        {
            ended = [.. spans];
        }
        var roots = ended.Where(s => s.OperationName == "process file").OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(2, roots.Count);
        var (first, resumed) = (roots[0], roots[1]);
        Assert.Equal(TestPipeline.ReadSummary(input).GetProperty("traceId").GetString(), first.TraceId.ToHexString());
        Assert.Equal(first.TraceId, resumed.TraceId);
        Assert.Equal(first.SpanId, resumed.ParentSpanId);
        Assert.Equal(true, resumed.GetTagItem(TelemetryNames.JobResumed));
        var ours = ended.Where(s => s.Source.Name is TelemetryNames.ProducerSource or TelemetryNames.ConsumerSource).ToList();
        Assert.All(ours, s => Assert.Equal(first.TraceId, s.TraceId));
        Assert.Equal(10, ours.Where(s => s.OperationName == "process streaming.results").Select(Sequence).Distinct().Count());
    }

    private static async Task WaitForFileAsync(string path, CancellationToken cancellationToken)
    {
        while (!File.Exists(path))
        {
            await Task.Delay(20, cancellationToken);
        }
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
