using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Streaming.Messaging.Topology;

/// <summary>
/// Declares every queue, in one place, with one set of arguments (a redeclaration with other arguments fails
/// with 406, so nothing else may declare these queues). A 406 becomes a <see cref="TopologyMismatchException"/>: the
/// services report it in one line and exit 2 instead of retrying what cannot succeed.
/// </summary>
internal static class StreamingTopology
{
    /// <summary>Deliveries after which the broker dead-letters a batch to its pipeline's delivery-limit queue.
    /// Consumers quarantine a batch at its first redelivery, so this is a backstop that only a consumer unable to
    /// quarantine ever reaches (say, one whose publishes keep failing).</summary>
    public const int DeliveryLimit = 10;

    /// <summary>Dead letters kept at most; the oldest go first.</summary>
    public const int DeadLetterQueueMaxLength = 100_000;

    /// <summary>A results queue nobody has consumed for this long is deleted by the broker.</summary>
    public static readonly TimeSpan ResultsQueueExpiry = TimeSpan.FromDays(1);

    /// <summary>Declares <see cref="QueueNames.Dead"/> and <paramref name="pipeline"/>'s queues; every pipeline's get the
    /// same arguments as the default one's.</summary>
    public static async Task DeclareWorkQueuesAsync(IChannel channel, PipelineQueues pipeline, CancellationToken cancellationToken)
    {
        await DeclareAsync(channel, QueueNames.Dead, new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-max-length"] = DeadLetterQueueMaxLength,
        }, cancellationToken);
        await DeclareAsync(channel, pipeline.DeliveryLimit, PoisonSafeQueueArguments(QueueNames.Dead), cancellationToken);
        await DeclareAsync(channel, pipeline.Work, PoisonSafeQueueArguments(pipeline.DeliveryLimit), cancellationToken);
        await DeclareAsync(channel, pipeline.Quarantine, PoisonSafeQueueArguments(pipeline.DeliveryLimit), cancellationToken);
        await channel.ExchangeDeclareAsync(
            QueueNames.CancelExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
    }

    /// <summary>A consumer connection's cancel listener: an exclusive, auto-delete queue bound to
    /// <see cref="QueueNames.CancelExchange"/> (which the producer declares: a missing one fails this, and the
    /// subscription tries again later). It goes with its connection.</summary>
    public static async Task DeclareCancelListenerAsync(IChannel channel, string queue, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclarePassiveAsync(QueueNames.CancelExchange, cancellationToken);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue, QueueNames.CancelExchange, string.Empty, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The consumers' declaration: the work queues (and the cancel exchange) as <see cref="DeclareWorkQueuesAsync"/> declares them or, when the
    /// broker refuses that (a least-privilege user without the configure permission, which would also let it delete
    /// them), a passive check that they exist, declared by the producer. The broker closes a channel it refused, so
    /// the check runs on a fresh one; a queue not there yet fails it, and the subscription tries again later.
    /// </summary>
    public static Func<IChannel, CancellationToken, Task> DeclareOrCheckWorkQueues(IConnection connection, PipelineQueues pipeline) =>
        async (setup, cancellationToken) =>
        {
            try
            {
                await DeclareWorkQueuesAsync(setup, pipeline, cancellationToken);
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.AccessRefused)
            {
                await using var check = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                foreach (var queue in new[] { QueueNames.Dead, pipeline.DeliveryLimit, pipeline.Work, pipeline.Quarantine })
                {
                    await check.QueueDeclarePassiveAsync(queue, cancellationToken);
                }
                await check.ExchangeDeclarePassiveAsync(QueueNames.CancelExchange, cancellationToken);
            }
        };

    public static Task DeclareResultsQueueAsync(IChannel channel, string queue, CancellationToken cancellationToken) =>
        DeclareResultsQueueAsync(channel, queue, ResultsQueueExpiry, cancellationToken);

    /// <summary>A results queue that the broker deletes once nobody has consumed it for <paramref name="expiry"/> (a
    /// producer reading standard input, which nothing can resume, leaves no queue behind for long when it dies). Every
    /// declaration of one queue must give the same expiry.</summary>
    public static Task DeclareResultsQueueAsync(IChannel channel, string queue, TimeSpan expiry, CancellationToken cancellationToken) =>
        DeclareAsync(channel, queue, new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-expires"] = (long)expiry.TotalMilliseconds,
        }, cancellationToken);

    private static async Task DeclareAsync(
        IChannel channel, string queue, Dictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        try
        {
            await channel.QueueDeclareAsync(
                queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: cancellationToken);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            throw new TopologyMismatchException(queue, ex.ShutdownReason.ReplyText, ex);
        }
    }

    private static Dictionary<string, object?> PoisonSafeQueueArguments(string deadLetterQueue) => new()
    {
        ["x-queue-type"] = "quorum",
        ["x-delivery-limit"] = DeliveryLimit,
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-routing-key"] = deadLetterQueue,
        ["x-dead-letter-strategy"] = "at-least-once",
        ["x-overflow"] = "reject-publish",
    };
}
