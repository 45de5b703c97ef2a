using System.Diagnostics.Metrics;
using RabbitMQ.Client;
using Streaming.Messaging.Topology;

namespace Streaming.Messaging.Telemetry;

/// <summary>
/// Reports the backlog of a pipeline's work queues as gauges: messages ready and consumers attached, read every few seconds
/// with a passive queue declare (the AMQP answer carries both). Messages delivered but not yet acknowledged are not
/// in that answer; every consumer reports the ones it holds (<see cref="TelemetryNames.ConsumerMessagesUnacked"/>),
/// so the queue's unacked count is their sum. Polls only while something listens to the gauges.
/// </summary>
internal sealed class QueueBacklogMonitor : IAsyncDisposable
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_queryTimeout = TimeSpan.FromSeconds(10);
    private static volatile Snapshot[] s_latest = [];

    private static readonly ObservableGauge<long> s_ready = StreamingMeter.Instance.CreateObservableGauge(
        TelemetryNames.QueueMessagesReady, () => Observe(s => s.Ready), "{message}",
        "Messages ready in the queue (not delivered to any consumer), as of the last passive declare");

    private static readonly ObservableGauge<long> s_consumers = StreamingMeter.Instance.CreateObservableGauge(
        TelemetryNames.QueueConsumers, () => Observe(s => s.Consumers), "{consumer}",
        "Consumers attached to the queue, as of the last passive declare");

    private readonly IConnection _connection;
    private readonly string[] _queues;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _polling;

    private QueueBacklogMonitor(IConnection connection, PipelineQueues pipeline)
    {
        _connection = connection;
        _queues = [pipeline.Work, pipeline.Quarantine, pipeline.DeliveryLimit, QueueNames.Dead];
        _polling = PollAsync(_stop.Token);
    }

    /// <summary>Reports the queues of <paramref name="pipeline"/> (the one this process serves) and the dead letters.</summary>
    public static QueueBacklogMonitor Start(IConnection connection, PipelineQueues pipeline) => new(connection, pipeline);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _polling;
        _stop.Dispose();
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(s_interval);
        // Stopped by disposing the timer, which ends the wait with false: a wait cancelled through its token throws, and
        // a Native AOT process renders that exception's stack trace (milliseconds, at the end of every publish).
        using var stop = cancellationToken.Register(static timer => ((PeriodicTimer)timer!).Dispose(), timer);
        do
        {
            if (s_ready.Enabled || s_consumers.Enabled)
            {
                s_latest = await QueryAsync(cancellationToken);
            }
        }
        while (await timer.WaitForNextTickAsync(CancellationToken.None));
    }

    private async Task<Snapshot[]> QueryAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_queryTimeout);
        var snapshots = new List<Snapshot>(_queues.Length);
        try
        {
            await using var channel = await _connection.CreateChannelAsync(cancellationToken: timeout.Token);
            foreach (var queue in _queues)
            {
                var answer = await channel.QueueDeclarePassiveAsync(queue, timeout.Token);
                snapshots.Add(new Snapshot(queue, answer.MessageCount, answer.ConsumerCount));
            }
            await channel.CloseAsync(timeout.Token);
        }
        catch (Exception)
        {
            // The broker is away (or a queue is missing): report nothing rather than a stale backlog.
        }
        return [.. snapshots];
    }

    private static IEnumerable<Measurement<long>> Observe(Func<Snapshot, long> value)
    {
        foreach (var snapshot in s_latest)
        {
            yield return new Measurement<long>(value(snapshot),
                new KeyValuePair<string, object?>(TelemetryNames.MessagingDestinationName, snapshot.Queue));
        }
    }

    private readonly record struct Snapshot(string Queue, long Ready, long Consumers);
}
