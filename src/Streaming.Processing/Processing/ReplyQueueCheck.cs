using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Streaming.Consumer.Processing;

/// <summary>
/// Whether a batch's results queue still exists, asked of the broker (a passive declare on a channel of its own, which
/// a missing queue closes) at most once per <see cref="Freshness"/> for each queue. A producer that exited deletes its
/// queue, and one killed has it expire: a batch answering to a queue that is gone would be processed for nothing (the
/// result is returned unroutable and dropped), so the consumer skips it. A check that fails for any other reason, or
/// takes over <see cref="CheckTimeout"/>, says nothing and the batch runs, as it would without the check.
/// </summary>
internal sealed class ReplyQueueCheck(IConnection connection, TimeProvider time) : IAsyncDisposable
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Queues remembered at most; past it the memory starts afresh (a results queue per producer process).</summary>
    private const int MaxQueues = 1024;

    private readonly ConcurrentDictionary<string, (bool Exists, long CheckedAt)> _known = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _checking = new(1, 1);
    private IChannel? _channel;

    /// <summary>True only when the broker said, within <see cref="Freshness"/>, that <paramref name="queue"/> does not
    /// exist.</summary>
    public async Task<bool> IsGoneAsync(string queue, CancellationToken cancellationToken)
    {
        if (Fresh(queue) is { } known)
        {
            return !known;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await _checking.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        try
        {
            if (Fresh(queue) is { } checkedMeanwhile)
            {
                return !checkedMeanwhile;
            }
            var exists = await ExistsAsync(queue, timeout.Token);
            if (exists is null)
            {
                return false;
            }
            if (_known.Count >= MaxQueues)
            {
                _known.Clear();
            }
            _known[queue] = (exists.Value, time.GetTimestamp());
            return !exists.Value;
        }
        finally
        {
            _checking.Release();
        }
    }

    private bool? Fresh(string queue) =>
        _known.TryGetValue(queue, out var known) && time.GetElapsedTime(known.CheckedAt) < Freshness ? known.Exists : null;

    /// <summary>The broker's answer, or null when there was none.</summary>
    private async Task<bool?> ExistsAsync(string queue, CancellationToken cancellationToken)
    {
        try
        {
            if (_channel is not { IsOpen: true })
            {
                if (_channel is not null)
                {
                    await _channel.DisposeAsync();
                }
                _channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            }
            await _channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return true;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return false;
        }
        catch (Exception)
        {
            return null;        // a timeout, a lost connection: no answer
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            try
            {
                await _channel.DisposeAsync();
            }
            catch (Exception)
            {
                // Closing with its connection anyway.
            }
        }
        _checking.Dispose();
    }
}
