using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Streaming.Messaging.Consuming;
using Streaming.Messaging.Publishing;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;
using Streaming.Producer.Telemetry;

namespace Streaming.Producer.Job.Results;

/// <summary>One delivery from the results queue: a probe is acknowledged and nothing read; a result goes to the job its
/// header names, then is dead-lettered if the job says so, and acknowledged; if handling it fails it goes back to the
/// queue. A result without a readable header is dead-lettered; one for a job not registered is acknowledged and
/// dropped.</summary>
internal sealed partial class ResultsInbox
{
    private const string UnclaimedReason = "job finished or unknown";

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        if (delivery.BasicProperties.ContentType == MessageHeaders.ProbeContentType)
        {
            await AckQuietlyAsync(channel, delivery);
            return;
        }
        var queue = _current.Queue;
        using var activity = ProducerTracing.StartCollect(delivery, queue);
        try
        {
            var job = _jobs.Claim(delivery.Body, out var malformed);
            if (malformed is not null)
            {
                await DeadLetterAsync(delivery, queue, malformed);
            }
            else if (job is null)
            {
                CollectorLog.Unclaimed(_logger, _jobs.Unclaimed, queue);
                MessagingMetrics.Dropped(QueueNames.ResultsPrefix + "*", UnclaimedReason);
            }
            using (job)
            {
                if (job is not null)
                {
                    await HandOnAsync(job, delivery, queue);
                }
            }
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (Exception ex) when (!ChannelState.IsOpen(channel))
        {
            // Closed under the result (this process is ending, or the connection dropped): the broker returns it.
            CollectorLog.LeftToBroker(_logger, queue, ex.Message);
        }
        catch (Exception ex)
        {
            MessagingActivities.Failed(ex);
            CollectorLog.HandlingFailed(_logger, queue, ex);
            try
            {
                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
            }
            catch (Exception)
            {
                // The channel is gone: the broker returns the message by itself.
            }
        }
    }

    private async Task HandOnAsync(JobRegistry.ClaimedJob job, BasicDeliverEventArgs delivery, string queue)
    {
        if (await job.Handler.HandleAsync(job.Result, delivery.CancellationToken) is { } rejection)
        {
            await DeadLetterAsync(delivery, queue, rejection);
        }
    }

    private static async Task AckQuietlyAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        try
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (Exception)
        {
            // The channel is gone: a probe needs no second look.
        }
    }

    private async Task DeadLetterAsync(BasicDeliverEventArgs delivery, string queue, string reason)
    {
        CollectorLog.DeadLettered(_logger, queue, reason);
        await DeadLetters.PublishAsync(_publisher, delivery.Body, delivery.BasicProperties.ContentType, queue, _pipeline, reason, CancellationToken.None);
    }
}
