using System.Globalization;
using System.Text.RegularExpressions;
using Streaming.IntegrationTests.Faults;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Topology;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cluster;

/// <summary>
/// One cluster test's job: a fresh vhost, an input, consumers each given the list of nodes in its own order (and a
/// Prometheus scrape endpoint, to ask what each processed), a <c>publish --wait</c> given the list, and the stall
/// meter on its output. Consumers are paced (<c>delay:10</c>, identity output) so that the file is still in flight
/// while a fault lasts; <see cref="FinishAsync"/> adds fast consumers once the faults are over, then runs the fault
/// suite's ledger. Disposing leaves the cluster whole for the next test and deletes the vhost.
/// </summary>
internal sealed partial class ClusterRun : IAsyncDisposable
{
    public const string Processor = "identity";
    private const string PacedProcessor = "delay:10";
    private const int PacedConcurrency = 4;
    private const int PacedLinesPerSecondPerSlot = 100;
    private const int BatchLines = 100;
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(240);
    private static readonly TimeSpan s_scrapeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_consumerReady = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_progressPoll = TimeSpan.FromMilliseconds(250);

    private readonly ITestCluster _cluster;
    private readonly ITestOutputHelper _output;
    private readonly List<(ServiceProcess Consumer, int MetricsPort)> _consumers = [];
    private StallMeter? _meter;

    private ClusterRun(ITestCluster cluster, ITestOutputHelper output, TestPipeline pipeline, string input, byte[] content)
    {
        _cluster = cluster;
        _output = output;
        Pipeline = pipeline;
        Input = input;
        Content = content;
    }

    public TestPipeline Pipeline { get; }

    public string Input { get; }

    public byte[] Content { get; }

    public ServiceProcess? Producer { get; private set; }

    public IReadOnlyList<ServiceProcess> Consumers => _consumers.Select(c => c.Consumer).ToArray();

    public StallMeter Meter => _meter ?? throw new InvalidOperationException("the job is not started");

    public static async Task<ClusterRun> CreateAsync(ITestCluster cluster, ITestOutputHelper output, string name, int lines)
    {
        var pipeline = await TestPipeline.CreateAsync(cluster);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        // A publish that hangs on a node that went away is retried after this, not the default minute.
        pipeline.ServiceEnvironment["RabbitMq__PublishTimeoutSeconds"] = "10";
        // Batches a killed node took with it are published again after this, not the default 5 minutes (as in
        // QueueLossTests): one CI run in three stalled past the test's 240 s after the producer's node was killed.
        pipeline.ServiceEnvironment["Producer__RetransmitSeconds"] = "20";
        var content = EdgeCaseInput.Create(fillerLines: lines);
        return new ClusterRun(cluster, output, pipeline, pipeline.WriteInput(name, content), content);
    }

    /// <summary>Starts <paramref name="count"/> paced consumers, the i-th given the nodes starting from node i, each
    /// working on <paramref name="concurrency"/> batches at once.</summary>
    public async Task StartPacedConsumersAsync(int count = ITestCluster.Size, int concurrency = PacedConcurrency)
    {
        var slots = concurrency.ToString(CultureInfo.InvariantCulture);
        await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            StartConsumerAsync(PacedProcessor, i % ITestCluster.Size, "--concurrency", slots, "--prefetch", slots)));
    }

    /// <summary>
    /// Lines that <see cref="ITestCluster.Size"/> paced consumers of <paramref name="concurrency"/> cannot finish in
    /// <paramref name="faults"/>: however slow the machine, each of their slots takes a line each 10 ms at most, and
    /// a batch processed twice (its channel lost) only slows them. A scenario whose faults take at most this long
    /// cannot find the file done before its last fault; the fast consumers of <see cref="FinishAsync"/> do the rest.
    /// </summary>
    public static int LinesOutlasting(TimeSpan faults, int concurrency = PacedConcurrency) =>
        (int)(ITestCluster.Size * concurrency * PacedLinesPerSecondPerSlot * faults.TotalSeconds);

    /// <summary>Starts <c>publish --wait</c> with every node's URI and the stall meter on its output.</summary>
    public ServiceProcess StartProducer(int firstNode = 0)
    {
        Pipeline.ServiceUri = _cluster.ServiceUris(Pipeline.Uri, Rotation(firstNode));
        _meter = StallMeter.Start(Input);
        Producer = Pipeline.StartPublish([Input], "--batch-lines", BatchLines.ToString(CultureInfo.InvariantCulture));
        return Producer;
    }

    /// <summary>Waits until the output holds <paramref name="fraction"/> of the input's bytes; says what every
    /// process wrote when it does not.</summary>
    public async Task WaitForProgressAsync(double fraction)
    {
        try
        {
            await OutputProgress.WaitForBytesAsync(Input, (long)(Content.Length * fraction), s_run);
        }
        catch (OperationCanceledException ex)
        {
            var processes = Producer is null ? Consumers : [Producer, .. Consumers];
            throw new TimeoutException(
                $"the output did not reach {fraction:P0} of the input within {s_run.TotalSeconds:0} s.{Environment.NewLine}" +
                string.Join(Environment.NewLine, processes.Select(p => p.Describe())), ex);
        }
    }

    /// <summary>The producer's results queue, from its log.</summary>
    public string ResultsQueue() =>
        ProducerLog.ResultsQueue(Producer ?? throw new InvalidOperationException("the job is not started"));

    /// <summary>Prints and returns the longest stall since <paramref name="from"/> on the meter's clock.</summary>
    public TimeSpan ReportStall(string fault, TimeSpan from, TimeSpan? to = null)
    {
        var stall = Meter.LongestStall(from, to);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stall: {fault}: output stood still for at most {stall.TotalSeconds:0.0} s"));
        return stall;
    }

    /// <summary>Adds two fast consumers (the faults are over), waits for the job to end and runs the ledger: exit 0,
    /// every line exactly once, every queue drained, no results queue left, no consumer exited.</summary>
    public async Task FinishAsync()
    {
        var producer = Producer ?? throw new InvalidOperationException("the job is not started");
        var finishing = Meter.Now;
        await Task.WhenAll(StartConsumerAsync(Processor, 0, "--concurrency", "8"), StartConsumerAsync(Processor, 1, "--concurrency", "8"));
        var code = await producer.WaitForExitAsync(s_run);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"the job ran {Meter.Now.TotalSeconds:0.0} s, {(Meter.Now - finishing).TotalSeconds:0.0} s of it after the faults"));
        Assert.True(code == 0, producer.Describe());
        Assert.All(Consumers, c => Assert.False(c.HasExited, c.Describe()));
        Ledger.AssertOutput(Input, Content, Processor);
        await Ledger.AssertQueuesDrainedAsync(Pipeline);
        Assert.DoesNotContain((await Ledger.QueueCountsAsync(Pipeline)).Keys, q => q.StartsWith(QueueNames.ResultsPrefix, StringComparison.Ordinal));
    }

    /// <summary>Batches each consumer processed so far, from its Prometheus endpoint.</summary>
    public async Task<IReadOnlyList<long>> BatchesProcessedAsync()
    {
        using var http = new HttpClient { Timeout = s_scrapeTimeout };
        var counts = new List<long>();
        foreach (var (_, port) in _consumers)
        {
            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            counts.Add(BatchesProcessed().Matches(metrics).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)));
        }
        return counts;
    }

    /// <summary>Waits until consumer <paramref name="index"/> has processed more than <paramref name="batches"/>
    /// batches; false when the file was done first, or after <see cref="s_run"/>.</summary>
    public async Task<bool> WaitForBatchesAsync(int index, long batches)
    {
        using var deadline = new CancellationTokenSource(s_run);
        while (!File.Exists(Input + ".out"))
        {
            if ((await BatchesProcessedAsync())[index] > batches)
            {
                return true;
            }
            try
            {
                await Task.Delay(s_progressPoll, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return (await BatchesProcessedAsync())[index] > batches;
    }

    public async ValueTask DisposeAsync()
    {
        if (_meter is not null)
        {
            await _meter.DisposeAsync();
        }
        await Pipeline.DisposeAsync();
        await _cluster.HealAllAsync();
        // The next test's restarts and kills should not also recover this test's quorum queues on every node.
        await _cluster.RabbitMqCtlAsync("-q", "delete_vhost", Pipeline.Vhost);
    }

    /// <summary>Starts a consumer given the nodes from <paramref name="firstNode"/> on, and waits until it consumes.</summary>
    private async Task StartConsumerAsync(string processor, int firstNode, params string[] extra)
    {
        var port = FreePorts.Pick(_consumers.Select(c => c.MetricsPort).ToArray());
        Pipeline.ServiceUri = _cluster.ServiceUris(Pipeline.Uri, Rotation(firstNode));
        var consumer = Pipeline.StartConsumer(processor, environment: new Dictionary<string, string?>
        {
            ["OTEL_METRICS_EXPORTER"] = "prometheus",
            ["OTEL_EXPORTER_PROMETHEUS_HOST"] = "127.0.0.1",
            ["OTEL_EXPORTER_PROMETHEUS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        }, extra: extra);
        _consumers.Add((consumer, port));
        await consumer.WaitForOutputAsync("Consuming streaming.lines", s_consumerReady);
    }

    private static int[] Rotation(int first) =>
        Enumerable.Range(0, ITestCluster.Size).Select(i => (first + i) % ITestCluster.Size).ToArray();

    [GeneratedRegex(@"^streaming_batches_processed_total(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex BatchesProcessed();
}
