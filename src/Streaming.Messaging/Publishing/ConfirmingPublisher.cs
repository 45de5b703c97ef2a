using RabbitMQ.Client;

namespace Streaming.Messaging.Publishing;

/// <summary>
/// Publishes on one channel with publisher confirms, many publishes in flight at once but never more than
/// <c>maxOutstanding</c> (the client's own limiter does not bound outstanding confirms in 7.2.x). Every publish
/// has a timeout: a publish that times out or throws has an unknown outcome and may still have been stored,
/// so callers deduplicate.
/// </summary>
public sealed class ConfirmingPublisher : IAsyncDisposable
{
    private readonly IChannel _channel;
    private readonly SemaphoreSlim _outstanding;
    private readonly TimeSpan _timeout;

    private ConfirmingPublisher(IChannel channel, int maxOutstanding, TimeSpan timeout)
    {
        _channel = channel;
        _outstanding = new SemaphoreSlim(maxOutstanding, maxOutstanding);
        _timeout = timeout;
    }

    public static async Task<ConfirmingPublisher> CreateAsync(
        IConnection connection, int maxOutstanding, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var options = new CreateChannelOptions(
            publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: null);
        var channel = await connection.CreateChannelAsync(options, cancellationToken);
        return new ConfirmingPublisher(channel, maxOutstanding, timeout);
    }

    /// <summary>Completes when the broker confirmed the message; throws when it was nacked, returned or timed out.</summary>
    public async Task PublishAsync(
        string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, bool mandatory, CancellationToken cancellationToken)
    {
        await _outstanding.WaitAsync(cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            try
            {
                await _channel.BasicPublishAsync(string.Empty, routingKey, mandatory, properties, body, timeout.Token);
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _channel.CloseAsync();
        }
        catch (Exception)
        {
            // The connection may already be gone; nothing is left to flush.
        }
        _channel.Dispose();
        _outstanding.Dispose();
    }
}
