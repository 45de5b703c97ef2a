using RabbitMQ.Client;
using Streaming.Messaging.Telemetry;
using Streaming.Messaging.Topology;

namespace Streaming.Messaging.Publishing;

/// <summary>Puts a message a service cannot use on <c>streaming.dead</c>, with why, where it came from and its pipeline.</summary>
public static class DeadLetters
{
    public static async Task PublishAsync(
        ConfirmingPublisher publisher, ReadOnlyMemory<byte> body, string? contentType, string sourceQueue,
        PipelineQueues pipeline, string reason, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = contentType,
            Headers = new Dictionary<string, object?>
            {
                [MessageHeaders.DeadLetterReason] = reason,
                [MessageHeaders.DeadLetterSource] = sourceQueue,
                [MessageHeaders.DeadLetterPipeline] = pipeline.HeaderValue,
            },
        };
        await publisher.PublishAsync(QueueNames.Dead, properties, body, mandatory: true, cancellationToken);
        MessagingMetrics.DeadLettered(sourceQueue, reason);
    }
}
