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

    [Fact]
    public async Task Collector_GarbageAndForeignResultsOnItsQueue_DeadLettersOrDropsThemAndTheOutputIsExact()
    {
        if (!broker.CanControl)
        {
            return; // finding the job's results queue needs rabbitmqctl; an external broker does not offer it
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = EdgeCaseInput.Create(fillerLines: 500);
        var input = pipeline.WriteInput("target.txt", content);
        var producer = pipeline.StartPublish([input], "--batch-lines", "50");
        var resultsQueue = await FindResultsQueueAsync(new Uri(pipeline.Uri).AbsolutePath.TrimStart('/'));
        using var foreign = new MessageWriter();
        foreign.WriteEntry(LineStatus.Ok, "not yours"u8);
        var foreignJob = foreign.Complete(MessageKind.Result, new BatchHeader(Guid.NewGuid(), 0, 1, 1, 0, 1)).ToArray();
        byte[][] malformed = [[], [1, 2, 3], "{\"result\": 1}"u8.ToArray(), foreignJob[..^2]];
        await using (var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            foreach (var body in malformed.Append(foreignJob))
            {
                await channel.BasicPublishAsync("", resultsQueue, true, new BasicProperties { Persistent = true }, body);
            }
        }
        await pipeline.StartConsumerAsync("identity");

        var code = await producer.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
        Assert.True(TestPipeline.ReadSummary(input).GetProperty("resultsDropped").GetInt64() >= 1);
        var reasons = await DrainDeadLettersAsync(pipeline.Uri, malformed.Length);
        Assert.All(reasons, r => Assert.Contains("malformed result", r, StringComparison.Ordinal));
    }

    private async Task<string> FindResultsQueueAsync(string vhost)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var listing = await broker.RabbitMqCtlAsync("list_queues", "-q", "-p", vhost, "name");
            var queue = listing.Split('\n', StringSplitOptions.TrimEntries)
                .FirstOrDefault(q => q.StartsWith(QueueNames.ResultsPrefix, StringComparison.Ordinal));
            if (queue is not null)
            {
                return queue;
            }
            await Task.Delay(200, deadline.Token);
        }
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
