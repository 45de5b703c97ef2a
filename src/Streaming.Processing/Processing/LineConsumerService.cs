using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Streaming.Consumer.Processors;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Consuming;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Resilience;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;

namespace Streaming.Consumer.Processing;

/// <summary>
/// The consumer worker: connects (retrying until the broker is there), consumes its pipeline's work queue with per-consumer
/// prefetch and the quarantine queue one message at a time, and on SIGTERM/SIGINT stops taking work, lets work in
/// progress finish for <see cref="ConsumerOptions.DrainSeconds"/>, hands back the rest and closes.
/// </summary>
internal sealed class LineConsumerService(
    BrokerConnector connector,
    IOptions<ConsumerOptions> options,
    IOptions<RabbitMqOptions> brokerOptions,
    LineProcessorFactory processorFactory,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<LineConsumerService> logger) : BackgroundService
{
    private readonly ConsumerOptions _options = options.Value;

    /// <summary>Outlives the connection loop's attempts: a reconnected consumer still knows what was cancelled.</summary>
    private readonly CancelledJobs _cancelled = new(time);

    private readonly ServiceLoopLog _loopLog = new(
        reason => ConsumerLog.TopologyMismatch(logger, reason),
        (reason, delaySeconds) => ConsumerLog.StartInterrupted(logger, reason, delaySeconds),
        exception => ConsumerLog.ServiceFailed(logger, exception));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ServiceLoop.RunAsync(RunAsync, _loopLog, lifetime, stoppingToken);

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var clientName = $"streaming-consumer {Environment.MachineName}/{Environment.ProcessId}";
        await using var connection = await connector.ConnectAsync(clientName, retryForever: true, stoppingToken);
        var pipeline = PipelineQueues.For(_options.Pipeline);
        await using var backlog = QueueBacklogMonitor.Start(connection, pipeline);
        await using var publisher = await ConfirmingPublisher.CreateAsync(
            connection, maxOutstanding: (2 * _options.Prefetch) + 8,
            TimeSpan.FromSeconds(brokerOptions.Value.PublishTimeoutSeconds), stoppingToken, logger);
        await using var processor = new BatchProcessor(processorFactory, _options.Concurrency);
        using var gate = new ProcessingGate();
        await using var replyQueues = new ReplyQueueCheck(connection, time);
        using var handler = new DeliveryHandler(
            processor, gate, publisher, pipeline, _options.MaxLineBytes, _options.MaxMessageBytes, logger, _cancelled, replyQueues);
        var declareWorkQueues = StreamingTopology.DeclareOrCheckWorkQueues(connection, pipeline);
        await using var cancelNotices = new CancelListener(connection, _cancelled, logger);

        await using var work = new SupervisedSubscription(
            connection, pipeline.Work, (ushort)_options.Prefetch, (ushort)_options.Prefetch, declareWorkQueues, handler.HandleWorkAsync, logger);
        await using var quarantine = new SupervisedSubscription(
            connection, pipeline.Quarantine, 1, 1, declareWorkQueues, handler.HandleQuarantineAsync, logger);
        await using var overLimit = new SupervisedSubscription(
            connection, pipeline.DeliveryLimit, 1, 1, declareWorkQueues, handler.HandleDeliveryLimitAsync, logger);
        await work.StartAsync(stoppingToken);
        // After the work queue's start, which waits for the producer to declare the exchange too (least privilege).
        await cancelNotices.StartAsync(stoppingToken);
        await quarantine.StartAsync(stoppingToken);
        await overLimit.StartAsync(stoppingToken);
        ConsumerLog.Consuming(logger, pipeline.Work, _options.Processor, _options.Prefetch, _options.Concurrency);

        await Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);

        handler.BeginStopping();
        ConsumerLog.Draining(logger, handler.InFlight, _options.DrainSeconds);
        await work.CancelAsync();
        await quarantine.CancelAsync();
        await overLimit.CancelAsync();
        await cancelNotices.CancelAsync();
        if (!await WaitForIdleAsync(handler, TimeSpan.FromSeconds(_options.DrainSeconds)))
        {
            await handler.AbortAsync();
            await WaitForIdleAsync(handler, TimeSpan.FromSeconds(5));
        }
        ConsumerLog.Stopped(logger, handler.InFlight);
    }

    private async Task<bool> WaitForIdleAsync(DeliveryHandler handler, TimeSpan timeout)
    {
        var started = time.GetTimestamp();
        while (handler.InFlight > 0)
        {
            if (time.GetElapsedTime(started) >= timeout)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, CancellationToken.None);
        }
        return true;
    }
}
