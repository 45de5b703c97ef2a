using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Streaming.Messaging.Publishing;

/// <summary>
/// Publishes on one channel with publisher confirms, many publishes in flight at once but never more than
/// <c>maxOutstanding</c> (the client's own limiter does not bound outstanding confirms in 7.2.x). Every publish
/// has a timeout: a publish that times out or throws has an unknown outcome and may still have been stored,
/// so callers deduplicate. A channel the broker closes (a message over its size limit, any other channel error) is
/// replaced by a fresh one at the next publish: automatic recovery reopens channels only after a lost connection.
/// </summary>
internal sealed class ConfirmingPublisher : IAsyncDisposable
{
    private static readonly CreateChannelOptions s_channelOptions = new(
        publisherConfirmationsEnabled: true,
        publisherConfirmationTrackingEnabled: true,
        outstandingPublisherConfirmationsRateLimiter: null);

    private readonly IConnection _connection;
    private readonly SemaphoreSlim _outstanding;
    private readonly SemaphoreSlim _reopening = new(1, 1);
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private IChannel _channel;
    private IChannel? _nackedChannel;
    private int _brokerMaxMessageBytes;

    private ConfirmingPublisher(IConnection connection, IChannel channel, int maxOutstanding, TimeSpan timeout, ILogger logger)
    {
        _connection = connection;
        _channel = channel;
        _outstanding = new SemaphoreSlim(maxOutstanding, maxOutstanding);
        _timeout = timeout;
        _logger = logger;
    }

    /// <summary>The broker's message size limit, once a channel it closed over a message that passed it was
    /// replaced (RabbitMQ announces the limit nowhere else over AMQP); null until then.</summary>
    public int? BrokerMaxMessageBytes
    {
        get
        {
            var learned = Volatile.Read(ref _brokerMaxMessageBytes);
            return learned > 0 ? learned : null;
        }
    }

    /// <summary>The number of the channel publishes go out on now (for tests: a replaced channel has another).</summary>
    internal int ChannelNumber => Volatile.Read(ref _channel).ChannelNumber;

    public static async Task<ConfirmingPublisher> CreateAsync(
        IConnection connection, int maxOutstanding, TimeSpan timeout, CancellationToken cancellationToken, ILogger? logger = null)
    {
        var channel = await connection.CreateChannelAsync(s_channelOptions, cancellationToken);
        return new ConfirmingPublisher(connection, channel, maxOutstanding, timeout, logger ?? NullLogger.Instance);
    }

    /// <summary>Completes when the broker confirmed the message; throws when it was nacked, returned or timed out.</summary>
    public Task PublishAsync(
        string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, bool mandatory, CancellationToken cancellationToken) =>
        PublishAsync(string.Empty, routingKey, properties, body, mandatory, cancellationToken);

    /// <summary>As the default exchange's overload, through <paramref name="exchange"/>.</summary>
    public async Task PublishAsync(
        string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, bool mandatory,
        CancellationToken cancellationToken)
    {
        await _outstanding.WaitAsync(cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            IChannel? channel = null;
            try
            {
                channel = await CurrentChannelAsync(timeout.Token);
                await channel.BasicPublishAsync(exchange, routingKey, mandatory, properties, body, timeout.Token);
            }
            catch (PublishException ex) when (!ex.IsReturn)
            {
                Volatile.Write(ref _nackedChannel, channel);
                throw;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no confirm for a publish to '{routingKey}' within {_timeout.TotalSeconds:0} s");
            }
        }
        finally
        {
            _outstanding.Release();
        }
    }

    private async Task<IChannel> CurrentChannelAsync(CancellationToken cancellationToken)
    {
        var channel = Volatile.Read(ref _channel);
        if (!NeedsReplacing(channel))
        {
            return channel;
        }
        await _reopening.WaitAsync(cancellationToken);
        try
        {
            var closed = _channel;
            if (!NeedsReplacing(closed))
            {
                return closed;
            }
            if (closed.CloseReason is { } reason)
            {
                PublishingLog.ChannelClosedByBroker(_logger, reason.ReplyCode, reason.ReplyText);
                if (MessageSizeLimit.TryParse(reason.ReplyText, out var limit))
                {
                    LearnLimit(limit);
                }
            }
            else
            {
                PublishingLog.ChannelNacked(_logger);
            }
            channel = await _connection.CreateChannelAsync(s_channelOptions, cancellationToken);
            Volatile.Write(ref _channel, channel);
            PublishingLog.ChannelReopened(_logger);
            await CloseQuietlyAsync(closed);
            return channel;
        }
        finally
        {
            _reopening.Release();
        }
    }

    /// <summary>
    /// Closed by the broker while the connection stays open (a channel error, which no recovery undoes; a lost
    /// connection's channels are reopened by automatic recovery), or open but the broker nacked a publish on it. No queue
    /// here rejects a publish by its own limits, so a nack says the channel's state for a quorum queue is stuck: in a
    /// cluster test on RabbitMQ 3.10, two consumers whose connections had recovered after a node was killed had every
    /// publish to the work queue nacked, every 5 s for minutes. A fresh channel starts from the queue's current members.
    /// </summary>
    private bool NeedsReplacing(IChannel channel) =>
        IsClosedByBroker(channel) || (_connection.IsOpen && ReferenceEquals(Volatile.Read(ref _nackedChannel), channel));

    /// <summary>Closed by the broker while the connection stays open.</summary>
    private bool IsClosedByBroker(IChannel channel) =>
        channel.CloseReason is { Initiator: ShutdownInitiator.Peer } && _connection.IsOpen;

    private void LearnLimit(int limit)
    {
        int known;
        do
        {
            known = Volatile.Read(ref _brokerMaxMessageBytes);
            if (known > 0 && known <= limit)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _brokerMaxMessageBytes, limit, known) != known);
    }

    private static async Task CloseQuietlyAsync(IChannel channel)
    {
        try
        {
            await channel.CloseAsync();
        }
        catch (Exception)
        {
            // Closed already, or the connection is gone; nothing is left to flush.
        }
        channel.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseQuietlyAsync(_channel);
        _outstanding.Dispose();
        _reopening.Dispose();
    }
}
