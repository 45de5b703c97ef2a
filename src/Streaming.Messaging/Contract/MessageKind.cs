namespace Streaming.Messaging.Contract;

/// <summary>What a message body carries; stored in its header.</summary>
internal enum MessageKind : byte
{
    Batch = 1,
    Result = 2,
}
