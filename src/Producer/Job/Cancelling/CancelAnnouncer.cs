using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Topology;

namespace Streaming.Producer.Job.Cancelling;

/// <summary>
/// Tells the consumers which jobs of this process were cancelled, on the fanout exchange
/// <see cref="QueueNames.CancelExchange"/>: at once, then again every <see cref="RepeatInterval"/> for
/// <see cref="RepeatFor"/>, in one notice, for the consumers that were not listening the first time (started or
/// reconnected since). Bounded: the <see cref="CancelNotice.MaxJobs"/> most recent cancels.
/// </summary>
internal sealed class CancelAnnouncer : IAsyncDisposable
{
    public static readonly TimeSpan RepeatInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan RepeatFor = TimeSpan.FromMinutes(10);

    private readonly ConfirmingPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<Guid, long> _cancelledAt = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _repeating = Task.CompletedTask;

    public CancelAnnouncer(ConfirmingPublisher publisher, TimeProvider time, ILogger logger)
    {
        _publisher = publisher;
        _time = time;
        _logger = logger;
    }

    /// <summary>Announces <paramref name="jobId"/> (confirmed by the broker) and repeats it from now on.</summary>
    public async Task AnnounceAsync(Guid jobId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _cancelledAt[jobId] = _time.GetTimestamp();
            if (_cancelledAt.Count > CancelNotice.MaxJobs)
            {
                _cancelledAt.Remove(_cancelledAt.MinBy(c => c.Value).Key);
            }
            if (_repeating.IsCompleted && !_stop.IsCancellationRequested)
            {
                _repeating = RepeatAsync(_stop.Token);
            }
        }
        await PublishAsync([jobId], cancellationToken);
    }

    private Task PublishAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken) =>
        _publisher.PublishAsync(
            QueueNames.CancelExchange, string.Empty,
            new BasicProperties { ContentType = MessageHeaders.CancelContentType }, CancelNotice.Encode(jobIds),
            mandatory: false, cancellationToken);

    /// <summary>Repeats the recent cancels until none is recent any more.</summary>
    private async Task RepeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(RepeatInterval, _time, cancellationToken);
                List<Guid> recent;
                lock (_lock)
                {
                    foreach (var old in _cancelledAt.Where(c => _time.GetElapsedTime(c.Value) >= RepeatFor).Select(c => c.Key).ToList())
                    {
                        _cancelledAt.Remove(old);
                    }
                    recent = [.. _cancelledAt.Keys];
                    if (recent.Count == 0)
                    {
                        _repeating = Task.CompletedTask;
                        return;
                    }
                }
                try
                {
                    await PublishAsync(recent, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    CancelLog.RepeatFailed(_logger, recent.Count, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The session is closing.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task repeating;
        lock (_lock)
        {
            _stop.Cancel();
            repeating = _repeating;
        }
        await repeating;
        _stop.Dispose();
    }
}
