using Streaming.Producer.Job.Input;

namespace Streaming.Producer.Job.Publishing;

/// <summary>How the <see cref="Retransmitter"/> reaches the broker.</summary>
internal interface IBatchSender
{
    /// <summary>Publishes a batch that was published before, until confirmed.</summary>
    Task PublishAgainAsync(CutBatch batch, CancellationToken cancellationToken);

    /// <summary>Whether any consumer is attached to the work queue now; false when the broker does not say in time.</summary>
    Task<bool> ConsumersAttachedAsync(CancellationToken cancellationToken);
}
