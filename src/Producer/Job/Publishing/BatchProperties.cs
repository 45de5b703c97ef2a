using RabbitMQ.Client;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.Results;

namespace Streaming.Producer.Job.Publishing;

/// <summary>The properties every batch of one job is published with: persistent, the batch content type, the job's id
/// as correlation id, and as reply-to the results queue of the moment, read at each publish (the inbox may have moved
/// to a fresh queue since the last one).</summary>
internal sealed class BatchProperties(Guid jobId, IResultsAddress results)
{
    private readonly BasicProperties _template = new()
    {
        Persistent = true,
        ContentType = MessageHeaders.BatchContentType,
        CorrelationId = jobId.ToString("N"),
    };

    public string CorrelationId => _template.CorrelationId!;

    /// <summary>A copy per publish: RabbitMQ.Client writes the publish's trace context into the properties' headers.</summary>
    public BasicProperties ForPublish() => new(_template) { ReplyTo = results.Queue };
}
