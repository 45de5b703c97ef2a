using Streaming.Messaging.Contract;

namespace Streaming.Consumer.Processing;

/// <summary>A batch's result as the messages that carry it: one, or parts when it would pass the message size
/// limit. Disposing returns their buffers.</summary>
internal sealed class ResultMessages(IReadOnlyList<MessageWriter> parts) : IDisposable
{
    public ResultMessages(MessageWriter whole)
        : this([whole])
    {
    }

    public IReadOnlyList<MessageWriter> Parts { get; } = parts;

    public void Dispose()
    {
        foreach (var part in Parts)
        {
            part.Dispose();
        }
    }
}
