using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Topology;

namespace Streaming.Producer.Job.Results;

/// <summary>
/// Whether a results queue still takes messages. A quorum queue that the broker lost while creating it (a kill -9
/// within a second of its declaration) keeps its record but has no leader: a passive or full declare still succeeds,
/// a publish is never confirmed, and a basic.consume makes the broker close the whole connection (541 INTERNAL_ERROR,
/// measured on 3.10.8). So a queue is asked with an empty message published with a confirm before it is consumed,
/// and every few seconds while a job waits on it; the collector acknowledges such a probe and reads nothing.
/// </summary>
internal static class ResultsQueueProbe
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(1);

    private static readonly CreateChannelOptions s_confirmed = new(
        publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private static readonly BasicProperties s_probe = new() { ContentType = MessageHeaders.ProbeContentType };

    /// <summary>Declares the queue, then makes sure it takes messages before anyone consumes it.</summary>
    public static async Task DeclareAnsweringAsync(
        IConnection connection, IChannel channel, string queue, TimeSpan expiry, CancellationToken cancellationToken)
    {
        await StreamingTopology.DeclareResultsQueueAsync(channel, queue, expiry, cancellationToken);
        if (!await AnswersAsync(connection, queue, cancellationToken))
        {
            throw new TimeoutException($"the results queue {queue} did not confirm a probe within {Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Whether the queue still takes a message: an empty probe, published with a confirm. A passive declare
    /// is not enough: the broker answers it from the queue's record even when the queue itself has no leader.</summary>
    public static async Task<bool> AnswersAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        IChannel? channel = null;
        try
        {
            channel = await connection.CreateChannelAsync(s_confirmed, timeout.Token);
            await channel.BasicPublishAsync(
                string.Empty, queue, mandatory: true, s_probe, ReadOnlyMemory<byte>.Empty, timeout.Token);
            return true;
        }
        catch (PublishException ex) when (ex.IsReturn)
        {
            return true;    // deleted: the subscription declares it again (and has the batches sent again)
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return !connection.IsOpen;  // unconfirmed in time; a lost connection is not the queue's fault
        }
        finally
        {
            if (channel is not null)
            {
                await DisposeQuietlyAsync(channel);
            }
        }
    }

    private static async Task DisposeQuietlyAsync(IChannel channel)
    {
        try
        {
            // The broker's side of a channel whose probe waits on a leaderless queue does not answer a close either.
            await channel.AbortAsync(CancellationToken.None).WaitAsync(s_closeTimeout);
        }
        catch (Exception)
        {
            // A channel that does not close in time is closed with the connection.
        }
        channel.Dispose();
    }
}
