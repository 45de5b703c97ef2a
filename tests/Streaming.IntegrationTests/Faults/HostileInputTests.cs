using System.Buffers.Binary;
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
        Ledger.AssertOutput(input, content, "identity");
        Assert.False(consumer.HasExited, consumer.Describe());
        var reasons = await DrainDeadLettersAsync(pipeline.Uri, garbage.Count);
        Assert.Equal(garbage.Count, reasons.Count);
        Assert.All(reasons, r => Assert.False(string.IsNullOrWhiteSpace(r)));
        Assert.Contains(reasons, r => r.Contains("reply-to", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("malformed batch", StringComparison.Ordinal));
        foreach (var expected in new[] { "unknown schema version", "expected a Batch message", "cannot fit", "more than the message or limit allows", "sequence" })
        {
            Assert.Contains(reasons, r => r.Contains(expected, StringComparison.Ordinal));
        }
        // The consumer's logger writes from a queue of its own: the last lines may come a moment after the dead letters.
        var logged = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (CountOccurrences(consumer.StandardError, "Dead-lettered a message from streaming.lines") < garbage.Count && DateTime.UtcNow < logged)
        {
            await Task.Delay(50);
        }
        Assert.Equal(garbage.Count, CountOccurrences(consumer.StandardError, "Dead-lettered a message from streaming.lines"));
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }

    [Fact]
    public async Task FinishedJob_ReplayedBatchesResultsAndUnknownJobs_NeverReopenTheOutputNorTouchPathsOutsideTheDataFolder()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var content = EdgeCaseInput.Create(fillerLines: 300);
        var input = pipeline.WriteInput("finished.txt", content);
        var consumer = await pipeline.StartConsumerAsync("identity");
        var (code, producer) = await pipeline.PublishAsync(input, TimeSpan.FromSeconds(120), "--batch-lines", "50");
        Assert.True(code == 0, producer.Describe());
        var finishedQueue = ProducerLog.ResultsQueue(producer);
        var before = (Bytes: File.ReadAllBytes(input + ".out"), Written: File.GetLastWriteTimeUtc(input + ".out"));
        var canary = Path.Combine(Path.GetTempPath(), "streaming-canary-" + Guid.NewGuid().ToString("N"));

        // A batch of the finished job again, a result for it, and batches for jobs that never existed, some asking
        // for their results to go to a path.
        using var writer = new MessageWriter();
        writer.WriteEntry(LineFlag.Data, "replayed"u8);
        var replayed = writer.Complete(MessageKind.Batch, new BatchHeader(Guid.NewGuid(), 0, 1, 1, 0, 1)).ToArray();
        writer.Reset();
        writer.WriteEntry(LineStatus.Ok, "forged output"u8);
        var forgedResult = writer.Complete(MessageKind.Result, new BatchHeader(Guid.NewGuid(), 0, 1, 1, 0, 1)).ToArray();
        await using (var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            foreach (var replyTo in new[] { finishedQueue, finishedQueue, QueueNames.ResultsQueue(Guid.NewGuid()), canary + "/pwned", "../" + Path.GetFileName(canary) })
            {
                await channel.BasicPublishAsync("", QueueNames.Work, true, new BasicProperties { Persistent = true, ReplyTo = replyTo }, replayed);
            }
            // The finished producer's results queue is gone: a result for it is not routed anywhere.
            await Assert.ThrowsAnyAsync<RabbitMQ.Client.Exceptions.PublishException>(async () =>
                await channel.BasicPublishAsync("", finishedQueue, true, new BasicProperties { Persistent = true }, forgedResult));
        }
        // Each of the three batches naming a results queue (the finished one, twice, and one that never existed) is either
        // skipped before the processor runs (its queue is gone) or processed and its result dropped (unroutable): the
        // consumer reuses a queue's "it exists" for a second, so which one depends on timing.
        const string dropped = "Dropped a result: its results queue";
        const string skipped = "without running the processor: its results queue is gone";
        int Answered() => CountOccurrences(consumer.StandardError, dropped) + CountOccurrences(consumer.StandardError, skipped);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); Answered() < 3 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(100);
        }
        var reasons = await DrainDeadLettersAsync(pipeline.Uri, 2);
        await Ledger.AssertQueuesDrainedAsync(pipeline);

        Assert.All(reasons, r => Assert.Contains("reply-to", r, StringComparison.Ordinal));
        Assert.True(Answered() == 3, consumer.Describe());
        Assert.False(consumer.HasExited, consumer.Describe());
        Assert.Equal(before.Bytes, File.ReadAllBytes(input + ".out"));
        Assert.Equal(before.Written, File.GetLastWriteTimeUtc(input + ".out"));
        Assert.False(File.Exists(input + ".out.partial") || File.Exists(input + ".checkpoint.json"), "the finished output was reopened");
        Assert.False(Directory.Exists(canary) || File.Exists(canary), "a message made a service create a path of its choosing");
    }

    [Fact]
    public async Task Collector_GarbageAndForeignResultsOnItsQueue_DeadLettersOrDropsThemAndTheOutputIsExact()
    {
        if (!broker.CanControl)
        {
            return; // finding the job's results queue needs rabbitmqctl; an external broker does not offer it
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        var content = EdgeCaseInput.Create(fillerLines: 500);
        var input = pipeline.WriteInput("target.txt", content);
        var producer = pipeline.StartPublish([input], "--batch-lines", "50");
        var resultsQueue = await FindResultsQueueAsync(new Uri(pipeline.Uri).AbsolutePath.TrimStart('/'));
        // Logged once the job is registered with the process's results queue: from then on its results reach it.
        await producer.WaitForOutputAsync(" for target.txt started", TimeSpan.FromSeconds(60));
        var jobId = ProducerLog.JobId(producer);
        using var foreign = new MessageWriter();
        foreign.WriteEntry(LineStatus.Ok, "not yours"u8);
        var foreignJob = foreign.Complete(MessageKind.Result, new BatchHeader(Guid.NewGuid(), 0, 1, 1, 0, 1)).ToArray();
        var unknownSchema = (byte[])foreignJob.Clone();
        unknownSchema[5] = 9;
        var batchNotResult = (byte[])foreignJob.Clone();
        batchNotResult[4] = (byte)MessageKind.Batch;
        var lyingCount = (byte[])foreignJob.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(lyingCount.AsSpan(48), 3);
        BinaryPrimitives.WriteInt32LittleEndian(lyingCount.AsSpan(40), 3);
        byte[][] malformed = [[], [1, 2, 3], "{\"result\": 1}"u8.ToArray(), foreignJob[..^2], unknownSchema, batchNotResult, lyingCount];
        // Well-formed but not this job's: another job (dropped by the process's inbox and counted there), a sequence far
        // outside the window, a batch shape that does not match what was published under sequence 0 (dropped by the
        // job, with a logged reason). None is dead-lettered.
        using var lying = new MessageWriter();
        lying.WriteEntry(LineStatus.Ok, "x"u8);
        var beyondWindow = new BatchHeader(Guid.Empty, 1_000_000, 1, 1, 0, 1);
        await using (var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            foreach (var body in malformed.Append(foreignJob))
            {
                await channel.BasicPublishAsync("", resultsQueue, true, new BasicProperties { Persistent = true }, body);
            }
            foreach (var header in new[] { beyondWindow with { JobId = jobId }, new BatchHeader(jobId, 0, 7, 1, 0, 1) })
            {
                lying.Reset();
                lying.WriteEntry(LineStatus.Ok, "lie"u8);
                await channel.BasicPublishAsync("", resultsQueue, true, new BasicProperties { Persistent = true },
                    lying.Complete(MessageKind.Result, header).ToArray());
            }
        }
        await pipeline.StartConsumerAsync("identity");

        var code = await producer.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(code == 0, producer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        Assert.True(TestPipeline.ReadSummary(input).GetProperty("resultsDropped").GetInt64() >= 2);
        Assert.Contains("for jobs finished or not of this process", producer.StandardError, StringComparison.Ordinal);
        var reasons = await DrainDeadLettersAsync(pipeline.Uri, malformed.Length);
        Assert.All(reasons, r => Assert.Contains("malformed result", r, StringComparison.Ordinal));
        await Ledger.AssertQueuesDrainedAsync(pipeline);
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
        var results = QueueNames.ResultsQueue(Guid.NewGuid());
        using var writer = new MessageWriter();
        writer.WriteEntry(LineFlag.Data, "fine line"u8);
        var valid = writer.Complete(MessageKind.Batch, new BatchHeader(Guid.NewGuid(), 0, 1, 1, 0, 1)).ToArray();
        var random = new Random(99);
        var noise = new byte[300];
        random.NextBytes(noise);
        var unknownSchema = (byte[])valid.Clone();
        unknownSchema[5] = 2;
        var resultKind = (byte[])valid.Clone();
        resultKind[4] = (byte)MessageKind.Result;
        var lyingCount = (byte[])valid.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(lyingCount.AsSpan(40), 5);
        BinaryPrimitives.WriteInt32LittleEndian(lyingCount.AsSpan(48), 5);
        var negativeSequence = (byte[])valid.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(negativeSequence.AsSpan(24), -1);
        writer.Reset();
        writer.WriteEntry(LineFlag.Data, new byte[9 * 1024 * 1024]);   // past the consumers' 8 MiB line limit
        var oversized = writer.Complete(MessageKind.Batch, new BatchHeader(Guid.NewGuid(), 0, 1, 1, 0, 1)).ToArray();
        return
        [
            ([], results),
            (unknownSchema, results),
            (resultKind, results),
            (lyingCount, results),
            (negativeSequence, results),
            (oversized, results),
            (noise, results),
            ("{\"json\": true}"u8.ToArray(), results),
            (valid[..^3], results),
            ([.. valid, 0], results),
            (valid, null),
            (valid, "../../etc/passwd"),
            (valid, QueueNames.Work),
        ];
    }

    private static int CountOccurrences(string text, string value) =>
        (text.Length - text.Replace(value, "", StringComparison.Ordinal).Length) / value.Length;

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
