using RabbitMQ.Client;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Faults;

[Collection(BrokerCollection.Name)]
public sealed class HostileInputTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task Consumer_MalformedMessagesOnTheWorkQueue_AreDeadLetteredWithAReasonWhileTheFleetKeepsWorking()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var consumer = await pipeline.StartConsumerAsync("identity");
        var garbage = Garbage();
        await using (var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            foreach (var (body, replyTo) in garbage)
            {
                var properties = new BasicProperties { Persistent = true, ReplyTo = replyTo };
                await channel.BasicPublishAsync("", QueueNames.Work, true, properties, body);
            }
        }
        var content = EdgeCaseInput.Create(fillerLines: 1000);
        var input = pipeline.WriteInput("after garbage.txt", content);

        var (code, producer) = await pipeline.PublishAsync(input, TimeSpan.FromSeconds(120));

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
        Assert.False(consumer.HasExited, consumer.Describe());
        var reasons = await DrainDeadLettersAsync(pipeline.Uri, garbage.Count);
        Assert.Equal(garbage.Count, reasons.Count);
        Assert.All(reasons, r => Assert.False(string.IsNullOrWhiteSpace(r)));
        Assert.Contains(reasons, r => r.Contains("reply-to", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("malformed batch", StringComparison.Ordinal));
    }

    private static List<(byte[] Body, string? ReplyTo)> Garbage()
    {
        var results = QueueNames.ResultsFor(Guid.NewGuid());
        using var writer = new MessageWriter();
        writer.WriteEntry(LineFlag.Data, "fine line"u8);
        var valid = writer.Complete(MessageKind.Batch, new BatchHeader(Guid.NewGuid(), 0, 1, 1, 0, 1)).ToArray();
        var random = new Random(99);
        var noise = new byte[300];
        random.NextBytes(noise);
        return
        [
            ([], results),
            (noise, results),
            ("{\"json\": true}"u8.ToArray(), results),
            (valid[..^3], results),
            ([.. valid, 0], results),
            (valid, null),
            (valid, "../../etc/passwd"),
            (valid, QueueNames.Work),
        ];
    }

    private static async Task<List<string>> DrainDeadLettersAsync(string uri, int expected)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var reasons = new List<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (reasons.Count < expected)
        {
            var message = await channel.BasicGetAsync(QueueNames.Dead, autoAck: true, deadline.Token);
            if (message is null)
            {
                await Task.Delay(100, deadline.Token);
                continue;
            }
            var reason = message.BasicProperties.Headers?[MessageHeaders.DeadLetterReason];
            reasons.Add(reason is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : reason?.ToString() ?? "");
        }
        return reasons;
    }
}
