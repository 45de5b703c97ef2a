using RabbitMQ.Client;

namespace Streaming.Messaging.Consuming;

/// <summary>What a delivery handler may ask of the channel its delivery came on.</summary>
internal static class ChannelState
{
    /// <summary>Whether the channel is open; a channel disposed with its connection is not (and its IsOpen may throw).
    /// A delivery whose channel is closed went back to the queue with it: it is neither acknowledged nor handed back,
    /// and its failure to be acknowledged is not this process's failure.</summary>
    public static bool IsOpen(IChannel channel)
    {
        try
        {
            return channel.IsOpen;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}
