using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Streaming.Consumer.Processing;

/// <summary>
/// Whether a batch's results queue still exists, asked of the broker (a passive declare on a channel of its own, which
/// a missing queue closes). A producer that exited deletes its queue, and one killed has it expire: a batch answering
/// to a queue that is gone would be processed for nothing (the result is returned unroutable and dropped), so the
/// consumer skips it. "It exists" is remembered for <see cref="Freshness"/> (the batch runs, as it would without the
/// check); "it is gone" is not remembered at all, since a producer that lost its queue declares it again under the same
/// name and publishes its batches again: a batch published after that must find it. A check that fails for any other
/// reason, or takes over <see cref="CheckTimeout"/>, says nothing: the batch runs, and the queue is taken to exist
/// for <see cref="UnansweredHold"/>.
/// </summary>
internal sealed class ReplyQueueCheck(IConnection connection, TimeProvider time) : IAsyncDisposable
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A check the broker did not answer is not tried again for this long (plus <see cref="Freshness"/>).</summary>
    public static readonly TimeSpan UnansweredHold = TimeSpan.FromSeconds(30);

    /// <summary>Queues remembered at most; past it the memory starts afresh (a results queue per producer process).</summary>
    private const int MaxQueues = 1024;

    private readonly ConcurrentDictionary<string, (bool Exists, long CheckedAt)> _known = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _checking = new(1, 1);
    private readonly long _unansweredHoldTicks = (long)(UnansweredHold.TotalSeconds * time.TimestampFrequency);
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
            // No answer counts as "exists" for a while: a queue the broker cannot answer for (a quorum queue without a
            // leader) must not hold every delivery for a check timeout each time.
            var exists = await ExistsAsync(queue, timeout.Token);
            if (exists == false)
            {
                _known.TryRemove(queue, out _);
                return true;
            }
            if (_known.Count >= MaxQueues)
            {
                _known.Clear();
            }
            _known[queue] = (true, exists is null ? time.GetTimestamp() + _unansweredHoldTicks : time.GetTimestamp());
            return false;
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
                await DisposeChannelAsync();
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
            // A timeout, a lost connection: no answer, and a channel in an unknown state.
            await DisposeChannelAsync();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeChannelAsync();
        _checking.Dispose();
    }

    private async Task DisposeChannelAsync()
    {
        var channel = _channel;
        _channel = null;
        if (channel is not null)
        {
            try
            {
                await channel.DisposeAsync();
            }
            catch (Exception)
            {
                // Closing with its connection anyway.
            }
        }
    }
}
