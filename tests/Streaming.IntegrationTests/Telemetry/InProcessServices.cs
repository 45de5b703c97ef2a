using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Streaming.Consumer;
using Streaming.Consumer.Processing;
using Streaming.Consumer.Processors;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Health;
using Streaming.Producer;
using Streaming.Producer.Cli;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>The real producer command and consumer services, hosted in this test process (so that in-memory
/// exporters see their spans and metrics), against one vhost of the real broker. Their instruments are process-wide:
/// only the tests of <see cref="InProcessTelemetryTests"/> (one collection, one after another) may host services here.</summary>
internal sealed class InProcessServices(string uri, string processor, int batchLines) : IAsyncDisposable
{
    private readonly IOptions<RabbitMqOptions> _rabbit = Options.Create(new RabbitMqOptions { Uri = uri });
    private readonly List<LineConsumerService> _consumers = [];

    private BrokerConnector Connector() => new(_rabbit, new BrokerConnectionState(), NullLogger<BrokerConnector>.Instance);

    /// <summary>Starts that many consumers and waits until the broker sees them all on streaming.lines.</summary>
    public async Task StartConsumersAsync(int count, CancellationToken cancellationToken)
    {
        var factory = ProcessorCatalog.CreateDefault().Resolve(processor, out var error)
            ?? throw new InvalidOperationException(error);
        for (var i = 0; i < count; i++)
        {
            var consumer = new LineConsumerService(Connector(), Options.Create(new ConsumerOptions { Processor = processor }),
                _rabbit, factory, TimeProvider.System, new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance),
                NullLogger<LineConsumerService>.Instance);
            _consumers.Add(consumer);
            await consumer.StartAsync(cancellationToken);
        }
        await WorkQueue.WaitForConsumersAsync(uri, count, cancellationToken);
    }

    /// <summary><c>publish &lt;input&gt; --wait --out &lt;directory&gt;</c>; returns the exit code.</summary>
    public Task<int> PublishAsync(string input, string directory, CancellationToken cancellationToken) =>
        new PublishCommand(Connector(), Options.Create(new ProducerOptions { BatchLines = batchLines }), _rabbit,
            TimeProvider.System, NullLoggerFactory.Instance).RunAsync([new JobFiles(input, directory)], cancellationToken);

    /// <summary>Stops the consumers the way the host does (they drain, then close).</summary>
    public async Task StopConsumersAsync(CancellationToken cancellationToken)
    {
        foreach (var consumer in _consumers)
        {
            await consumer.StopAsync(cancellationToken);
            consumer.Dispose();
        }
        _consumers.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await StopConsumersAsync(timeout.Token);
    }
}
