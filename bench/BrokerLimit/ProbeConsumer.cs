using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Streaming.Bench.BrokerLimit;

/// <summary>One consumer process: takes batches from the work queue (at most <c>prefetch</c> unacked, all handled at
/// once), republishes each body unchanged (or decoded and encoded again: <see cref="ProbeCodec"/>) to the results queue,
/// persistent and confirmed, then acks it. No processor, no decoding of the lines: the broker's own round trip.</summary>
internal static class ProbeConsumer
{
    public static async Task<int> RunAsync(string uri, string run, ushort prefetch, ProbeCodec codec, CancellationToken stop)
    {
        await using var connection = await ProbeQueues.Factory(uri, prefetch).CreateConnectionAsync(stop);
        await using var channel = await connection.CreateChannelAsync(ProbeQueues.Confirming, stop);
        await ProbeQueues.DeclareAsync(channel, run);
        await channel.BasicQosAsync(0, prefetch, global: false, stop);
        var persistent = new BasicProperties { Persistent = true };
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            // The body is the client's buffer, valid during this handler only: the publish completes inside it.
            var body = codec == ProbeCodec.None
                ? delivery.Body
                : codec.Encode(delivery.Body.Span[..ProbeProducer.OffsetBytes], codec.Decode(delivery.Body[ProbeProducer.OffsetBytes..]).Span);
            await channel.BasicPublishAsync(string.Empty, ProbeQueues.Results(run), mandatory: true, persistent, body, stop);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, stop);
        };
        await channel.BasicConsumeAsync(ProbeQueues.Work(run), autoAck: false, consumer, stop);
        Console.WriteLine("ready");
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }
}
