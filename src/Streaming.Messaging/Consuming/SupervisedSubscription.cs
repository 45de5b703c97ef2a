using Microsoft.Extensions.Logging;
using Polly;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Resilience;
namespace Streaming.Messaging.Consuming;

/// <summary>
/// One queue's consumer, kept alive until cancelled. It declares the queue (<paramref name="declare"/>) and subscribes
/// again, with capped backoff, whenever the consumer is gone: after the connection's automatic recovery (the client's
/// topology recovery is off, see <c>BrokerConnector</c>), when the broker closed its channel on its own (a delivery
/// held past <c>consumer_timeout</c>), or when the broker cancelled it (the queue was deleted); after the last two,
/// which may have lost what the queue held, it calls <paramref name="resubscribed"/>.
/// </summary>
/// <param name="connection">The process's connection (automatic recovery on).</param>
/// <param name="queue">The queue to consume.</param>
/// <param name="prefetch">Per-consumer prefetch.</param>
/// <param name="dispatchConcurrency">Deliveries handled at once.</param>
/// <param name="declare">Declares the queue (and whatever it dead-letters to) on a setup channel.</param>
/// <param name="handle">Handles one delivery; must not throw (the client would swallow it).</param>
/// <param name="logger">Where the losses and resubscriptions are told.</param>
/// <param name="resubscribed">Called after a successful resubscription (what the queue held may be lost).</param>
/// <param name="startAttempts">Attempts the first subscription gets before <see cref="StartAsync"/> gives up.</param>
internal sealed class SupervisedSubscription(
    IConnection connection,
    string queue,
    ushort prefetch,
    ushort dispatchConcurrency,
    Func<IChannel, CancellationToken, Task> declare,
    Func<IChannel, BasicDeliverEventArgs, Task> handle,
    ILogger logger,
    Action? resubscribed = null,
    int startAttempts = SupervisedSubscription.DefaultStartAttempts)
    : IAsyncDisposable
{
    private static readonly TimeSpan s_poll = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _wake = new(0, 1);
    private IChannel? _channel;
    private string? _consumerTag;
    private volatile bool _cancelledByBroker;
    private volatile bool _connectionRecovered;
    private volatile bool _stopping;
    private Task? _supervisor;

    /// <summary>Attempts the first subscription gets by default before <see cref="StartAsync"/> gives up.</summary>
    public const int DefaultStartAttempts = RetryDefaults.SubscriptionStartAttempts;

    /// <summary>
    /// Subscribes, then keeps the subscription alive until <see cref="CancelAsync"/>. A broker that is still starting
    /// (a quorum queue not yet elected after a restart can leave basic.consume unanswered) gets a few attempts with
    /// backoff; then a <see cref="TimeoutException"/> or the broker's exception says it is not there.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var retry = new ResiliencePipelineBuilder().AddRetry(
            (RetryDefaults.SubscriptionStart with { MaxAttempts = startAttempts }).ToRetryStrategy(args =>
            {
                SubscriptionLog.StartRetry(logger, queue, args.Outcome.Exception?.Message ?? "unknown", args.RetryDelay.TotalSeconds);
                return ValueTask.CompletedTask;
            })).Build();
        connection.RecoverySucceededAsync += OnConnectionRecoveredAsync;
        await retry.ExecuteAsync(static async (self, ct) => await self.SubscribeOrTimeoutAsync(ct), this, cancellationToken);
        _supervisor = SuperviseAsync(cancellationToken);
    }

    /// <summary>The client cancels a call the broker leaves unanswered past its continuation timeout: that is the
    /// broker's fault, not a cancellation of ours.</summary>
    private async Task SubscribeOrTimeoutAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SubscribeAsync(cancellationToken);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the broker did not answer while subscribing to {queue}", ex);
        }
    }

    /// <summary>Stops taking deliveries (basic.cancel); deliveries in progress can still be acked.</summary>
    public async Task CancelAsync()
    {
        _stopping = true;
        connection.RecoverySucceededAsync -= OnConnectionRecoveredAsync;
        Signal(_wake);
        if (_supervisor is not null)
        {
            await _supervisor;
        }
        if (_channel is { IsOpen: true } channel && _consumerTag is { } tag)
        {
            try
            {
                await channel.BasicCancelAsync(tag, noWait: false, CancellationToken.None);
            }
            catch (Exception ex)
            {
                SubscriptionLog.CancelFailed(logger, queue, ex.Message);
            }
        }
    }

    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        var suspectClosed = false;
        var failures = 0;
        while (!_stopping && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(s_poll, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_stopping)
            {
                return;
            }
            // A channel lost with its connection comes back with the connection; only a channel that stays closed
            // while the connection is open (seen twice, a poll apart) was closed by the broker itself.
            var closedAlone = _channel is { IsClosed: true } && connection.IsOpen;
            var afterRecovery = _connectionRecovered && !_cancelledByBroker;
            if (!_cancelledByBroker && !afterRecovery && !(closedAlone && suspectClosed))
            {
                suspectClosed = closedAlone;
                continue;
            }
            suspectClosed = false;
            if (afterRecovery)
            {
                SubscriptionLog.ResubscribingAfterRecovery(logger, queue);
            }
            else
            {
                SubscriptionLog.Resubscribing(logger, queue, _cancelledByBroker
                    ? "the broker cancelled the consumer (queue deleted?)"
                    : $"the broker closed the channel ({_channel?.CloseReason?.ReplyText ?? "no reason given"})");
            }
            try
            {
                if (!afterRecovery)
                {
                    // A deleted quorum queue declared again at once can keep the declare waiting for half a minute
                    // (measured on 3.10): give the deletion a moment first.
                    await Task.Delay(RetryDefaults.Resubscribe.DelayAfter(failures + 1), cancellationToken);
                }
                await SubscribeAsync(cancellationToken);
                SubscriptionLog.Resubscribed(logger, queue);
                if (!afterRecovery)
                {
                    resubscribed?.Invoke();
                }
                failures = 0;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var backoff = RetryDefaults.Resubscribe.DelayAfter(++failures);
                SubscriptionLog.ResubscribeFailed(logger, queue, ex.Message, backoff.TotalSeconds);
                // Try again after the backoff, for the same reason.
                if (afterRecovery)
                {
                    _connectionRecovered = true;
                }
                else
                {
                    _cancelledByBroker = true;
                }
                await Task.Delay(backoff, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private Task OnConnectionRecoveredAsync(object sender, AsyncEventArgs e)
    {
        if (!_stopping)
        {
            _connectionRecovered = true;
            Signal(_wake);
        }
        return Task.CompletedTask;
    }

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        _cancelledByBroker = false;
        _connectionRecovered = false;
        var old = _channel;
        _channel = null;
        if (old is not null)
        {
            await DisposeChannelAsync(old);
        }
        await using (var setup = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await declare(setup, cancellationToken);
        }
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(false, false, consumerDispatchConcurrency: dispatchConcurrency), cancellationToken);
        await channel.BasicQosAsync(0, prefetch, global: false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => handle(channel, delivery);
        consumer.UnregisteredAsync += (_, _) =>
        {
            // Also raised when the connection drops; that is repaired once the connection is recovered, so only a
            // cancel or a channel close while the connection stays open is noticed here.
            if (!_stopping && ReferenceEquals(_channel, channel) && connection.CloseReason is null)
            {
                SubscriptionLog.CancelledByBroker(logger, queue);
                _cancelledByBroker = true;
                Signal(_wake);
            }
            return Task.CompletedTask;
        };
        _channel = channel;
        _consumerTag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        connection.RecoverySucceededAsync -= OnConnectionRecoveredAsync;
        Signal(_wake);
        if (_supervisor is not null)
        {
            await _supervisor;
        }
        if (_channel is { } channel)
        {
            await DisposeChannelAsync(channel);
        }
        _wake.Dispose();
    }

    private static void Signal(SemaphoreSlim signal)
    {
        try
        {
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
        catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
        {
            // Already signalled, or the subscription is gone.
        }
    }

    private static async Task DisposeChannelAsync(IChannel channel)
    {
        try
        {
            await channel.CloseAsync();
        }
        catch (Exception)
        {
            // Closed already (by the broker or with the connection); the broker returns anything unacked.
        }
        channel.Dispose();
    }
}
