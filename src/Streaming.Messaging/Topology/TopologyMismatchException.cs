namespace Streaming.Messaging.Topology;

/// <summary>
/// A queue Streaming declares already exists on the broker with other arguments (the broker answered 406), typically
/// declared by another version of Streaming. Retrying cannot help: the queue must be deleted, or another vhost used.
/// </summary>
internal sealed class TopologyMismatchException(string queue, string brokerReply, Exception inner)
    : Exception(
        $"queue '{queue}' already exists on the broker with other arguments than this version of Streaming declares "
        + $"({brokerReply}); once it is empty, delete it (rabbitmqctl delete_queue {queue}) or use another vhost", inner)
{
    public string Queue { get; } = queue;
}
