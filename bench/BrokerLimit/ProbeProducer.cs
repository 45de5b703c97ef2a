using System.Buffers.Binary;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Streaming.Bench.BrokerLimit;

/// <summary>The producer process: cuts the input into batches of whole lines (about <c>batchBytes</c> each),
/// publishes them persistent and confirmed with at most <c>inFlight</c> unconfirmed, and writes each body that comes
/// back from the results queue at its offset in the output. No ordering, deduplication or checkpoints: what a pipeline
/// of this shape cannot do faster on this broker.</summary>
internal static class ProbeProducer
{
    public const int OffsetBytes = 8;

    public static async Task<long> RunAsync(string uri, string run, string input, string output, int batchBytes, int inFlight,
        ProbeCodec codec, CancellationToken cancellationToken)
    {
        await using var connection = await ProbeQueues.Factory(uri).CreateConnectionAsync(cancellationToken);
        await using var publishing = await connection.CreateChannelAsync(ProbeQueues.Confirming, cancellationToken);
        await using var receiving = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await ProbeQueues.DeclareAsync(publishing, run);

        var inputBytes = new FileInfo(input).Length;
        using var outputHandle = File.OpenHandle(output, FileMode.Create, FileAccess.Write, preallocationSize: inputBytes);
        var received = 0L;
        var allWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await receiving.BasicQosAsync(0, (ushort)inFlight, global: false, cancellationToken);
        var results = new AsyncEventingBasicConsumer(receiving);
        results.ReceivedAsync += async (_, delivery) =>
        {
            var offset = BinaryPrimitives.ReadInt64LittleEndian(delivery.Body.Span);
            var data = codec.Decode(delivery.Body[OffsetBytes..]);
            await RandomAccess.WriteAsync(outputHandle, data, offset, cancellationToken);
            await receiving.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
            if (Interlocked.Add(ref received, data.Length) == inputBytes)
            {
                allWritten.TrySetResult();
            }
        };
        await receiving.BasicConsumeAsync(ProbeQueues.Results(run), autoAck: false, results, cancellationToken);

        var lines = await PublishAsync(publishing, run, input, batchBytes, inFlight, codec, cancellationToken);
        if (inputBytes > 0)
        {
            await allWritten.Task.WaitAsync(TimeSpan.FromMinutes(10), cancellationToken);
        }
        await ProbeQueues.DeleteAsync(publishing, run);
        return lines;
    }

    private static async Task<long> PublishAsync(IChannel channel, string run, string input, int batchBytes, int inFlight,
        ProbeCodec codec, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(inFlight, inFlight);
        var pending = new List<Task>();
        var persistent = new BasicProperties { Persistent = true };
        await using var file = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var carry = Array.Empty<byte>();
        long offset = 0, lines = 0;
        while (true)
        {
            var body = new byte[OffsetBytes + batchBytes];
            carry.CopyTo(body, OffsetBytes);
            var filled = carry.Length + await file.ReadAtLeastAsync(body.AsMemory(OffsetBytes + carry.Length), batchBytes - carry.Length, throwOnEndOfStream: false, cancellationToken);
            var data = body.AsSpan(OffsetBytes, filled);
            var end = data.Length == batchBytes ? data.LastIndexOf((byte)'\n') + 1 : data.Length;
            if (end == 0)
            {
                end = data.Length;      // a line longer than a batch: cut it (the probe's inputs have none)
            }
            if (end == 0)
            {
                break;
            }
            carry = data[end..].ToArray();
            lines += data[..end].Count((byte)'\n');
            BinaryPrimitives.WriteInt64LittleEndian(body, offset);
            offset += end;
            await slots.WaitAsync(cancellationToken);
            var message = codec == ProbeCodec.None ? body.AsMemory(0, OffsetBytes + end) : codec.Encode(body.AsSpan(0, OffsetBytes), body.AsSpan(OffsetBytes, end));
            pending.Add(PublishOneAsync(channel, run, persistent, message, slots, cancellationToken));
            pending.RemoveAll(t => t.IsCompletedSuccessfully);
        }
        await Task.WhenAll(pending);
        return lines;
    }

    private static async Task PublishOneAsync(IChannel channel, string run, BasicProperties properties, ReadOnlyMemory<byte> body,
        SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            await channel.BasicPublishAsync(string.Empty, ProbeQueues.Work(run), mandatory: true, properties, body, cancellationToken);
        }
        finally
        {
            slots.Release();
        }
    }
}
