using RabbitMQ.Client;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Pipeline;

/// <summary>
/// Pipelines (<c>--pipeline NAME</c>): one broker, one vhost, several fleets, each on its own work queues with its own
/// processor. A batch stays on the pipeline it was published to, and a job whose pipeline has no consumer says so.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class NamedPipelineTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan s_consumerReady = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task PublishWait_TwoPipelinesAtOnceEachWithItsOwnFleet_BothOutputsExactWithoutCrossTalk()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        const string upper = "fleet.upper_1";
        const string sha = "fleet-sha256";
        // Lower-case lines: a batch of one pipeline processed by the other fleet would show in either output.
        var upperContent = Lines("upper", 2000);
        var shaContent = Lines("sha", 1500);
        var upperInput = pipeline.WriteInput("upper.txt", upperContent);
        var shaInput = pipeline.WriteInput("sha.txt", shaContent);
        var fleet = new[]
        {
            await StartConsumerAsync(pipeline, "upper", upper),
            await StartConsumerAsync(pipeline, "upper", upper),
            await StartConsumerAsync(pipeline, "sha256", sha),
        };

        var upperRun = pipeline.StartPublish([upperInput], "--pipeline", upper, "--batch-lines", "50");
        var shaRun = pipeline.StartPublish([shaInput], "--pipeline", sha, "--batch-lines", "50");
        var upperCode = await upperRun.WaitForExitAsync(s_run);
        var shaCode = await shaRun.WaitForExitAsync(s_run);

        var described = upperRun.Describe() + shaRun.Describe() + string.Concat(fleet.Select(c => c.Describe()));
        Assert.True(upperCode == 0 && shaCode == 0, described);
        Ledger.AssertOutput(upperInput, upperContent, "upper");
        Ledger.AssertOutput(shaInput, shaContent, "sha256");
        var counts = await WaitDrainedAsync(pipeline);
        foreach (var name in new[] { upper, sha })
        {
            var queues = PipelineQueues.For(name);
            Assert.Contains(queues.Work, counts.Keys);
            Assert.Contains(queues.Quarantine, counts.Keys);
            Assert.Contains(queues.DeliveryLimit, counts.Keys);
        }
        // Nobody touched the default pipeline: none of its queues was even declared.
        Assert.DoesNotContain(QueueNames.Work, counts.Keys);
        Assert.DoesNotContain(QueueNames.Quarantine, counts.Keys);
        await using var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        Assert.Equal(2u, (await channel.QueueDeclarePassiveAsync(PipelineQueues.For(upper).Work)).ConsumerCount);
        Assert.Equal(1u, (await channel.QueueDeclarePassiveAsync(PipelineQueues.For(sha).Work)).ConsumerCount);
        foreach (var consumer in fleet)
        {
            consumer.Terminate();
            Assert.True(0 == await consumer.WaitForExitAsync(TimeSpan.FromSeconds(60)), consumer.Describe());
        }
    }

    [Fact]
    public async Task PublishWait_PipelineWithoutConsumer_SaysSoNamingItThenFinishesWhenOneStarts()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        // The default pipeline has a consumer: the check is the job's own pipeline's.
        await pipeline.StartConsumerAsync("identity");
        var input = pipeline.WriteInput("lonely.txt", "a\nb\nc\n"u8.ToArray());
        var progress = new Dictionary<string, string?> { ["Producer__ProgressIntervalSeconds"] = "1" };

        var producer = pipeline.StartPublish([input], progress, "--pipeline", "lonely");
        await producer.WaitForOutputAsync(
            "no consumer is attached to streaming.lines.lonely (pipeline 'lonely'); start one with --pipeline lonely", TimeSpan.FromSeconds(60));
        await StartConsumerAsync(pipeline, "upper", "lonely");
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal("A\nB\nC\n", File.ReadAllText(input + ".out"));
    }

    [Fact]
    public async Task PublishWait_ResumedOnAnotherPipelineThanItsCheckpoint_IsRefusedThenResumesOnItsOwn()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var content = Lines("resume", 1000);
        var input = pipeline.WriteInput("resume.txt", content);
        // No consumer yet: the first run cannot finish; it is killed once its checkpoint is on disk.
        var first = pipeline.StartPublish([input], "--pipeline", "first", "--batch-lines", "100");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.Exists(input + ".checkpoint.json"))
        {
            Assert.True(DateTime.UtcNow < deadline && !first.HasExited, "no checkpoint: " + first.Describe());
            await Task.Delay(100);
        }
        first.Kill();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var (refused, other) = await pipeline.PublishAsync(input, s_run, "--pipeline", "second", "--batch-lines", "100");

        Assert.True(refused == 2, other.Describe());
        Assert.Contains("cannot resume", other.StandardError, StringComparison.Ordinal);
        Assert.Contains("pipeline 'first'", other.StandardError, StringComparison.Ordinal);
        Assert.Contains("pipeline 'second'", other.StandardError, StringComparison.Ordinal);
        Assert.True(File.Exists(input + ".checkpoint.json"));
        await StartConsumerAsync(pipeline, "upper", "first");
        var (code, resumed) = await pipeline.PublishAsync(input, s_run, "--pipeline", "first", "--batch-lines", "100");
        Assert.True(code == 0, resumed.Describe());
        Ledger.AssertOutput(input, content, "upper");
    }

    [Fact]
    public async Task PublishWait_PoisonLineOnAPipeline_QuarantinedAndSplitInThatPipelineAndFailsAlone()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        const string name = "poisoned";
        var lines = Enumerable.Range(1, 1000).Select(i => i == 567 ? "line 567 POISON" : $"line {i}").ToList();
        var input = pipeline.WriteInput("poisoned.txt", System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));
        await using var fleet = new Faults.ConsumerSupervisor(pipeline, 2, "failfast:POISON", TestPipeline.TestConsumer, ["--pipeline", name]);
        fleet.Start();

        var (code, producer) = await pipeline.PublishAsync(input, s_run, "--batch-lines", "64", "--pipeline", name);

        Assert.True(code == 1, producer.Describe());
        var expected = string.Concat(lines.Select(l => (l.Contains("POISON", StringComparison.Ordinal) ? "" : l) + "\n"));
        Assert.Equal(expected, File.ReadAllText(input + ".out"));
        var error = Assert.Single(TestPipeline.ReadErrors(input));
        Assert.Equal(567, error.Line);
        Assert.Contains("poison", error.Error, StringComparison.Ordinal);
        Assert.True(fleet.Restarts >= 2, $"the poison line should have killed consumers, restarts: {fleet.Restarts}");
        // The batch went through the pipeline's own quarantine: the default pipeline's was never even declared.
        var counts = await WaitDrainedAsync(pipeline);
        Assert.Contains(PipelineQueues.For(name).Quarantine, counts.Keys);
        Assert.DoesNotContain(QueueNames.Quarantine, counts.Keys);
    }

    [Fact]
    public async Task Consumer_MalformedMessageOnAPipeline_DeadLetterNamesItsPipeline()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        const string name = "dead.letters";
        await StartConsumerAsync(pipeline, "identity", name);
        await pipeline.StartConsumerAsync("identity");
        await using var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync();
        await using (var publish = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            var properties = new BasicProperties { Persistent = true, ReplyTo = QueueNames.ResultsFor(Guid.NewGuid()) };
            await publish.BasicPublishAsync("", PipelineQueues.For(name).Work, true, properties, "not a batch"u8.ToArray());
            await publish.BasicPublishAsync("", QueueNames.Work, true, properties, "not a batch either"u8.ToArray());
        }

        var letters = new Dictionary<string, string>();
        await using var channel = await connection.CreateChannelAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (letters.Count < 2)
        {
            if (await channel.BasicGetAsync(QueueNames.Dead, autoAck: true, deadline.Token) is not { } message)
            {
                await Task.Delay(100, deadline.Token);
                continue;
            }
            letters[Text(message.BasicProperties.Headers?[MessageHeaders.DeadLetterSource])] =
                Text(message.BasicProperties.Headers?[MessageHeaders.DeadLetterPipeline]);
        }

        Assert.Equal(name, letters[PipelineQueues.For(name).Work]);
        Assert.Equal("", letters[QueueNames.Work]);
    }

    [Fact]
    public async Task DeclareWorkQueues_NamedPipeline_SameArgumentsAsTheDefaultPipelineOnItsOwnDeadLetterChain()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var named = PipelineQueues.For("topology.check");
        await using (var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await StreamingTopology.DeclareWorkQueuesAsync(channel, PipelineQueues.Default, CancellationToken.None);
            await StreamingTopology.DeclareWorkQueuesAsync(channel, named, CancellationToken.None);
        }

        var listing = await pipeline.Broker.RabbitMqCtlAsync(
            "list_queues", "-q", "--no-table-headers", "-p", pipeline.Vhost, "name", "type", "durable", "arguments");
        var rows = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(row => row.Split('\t', 2, StringSplitOptions.TrimEntries))
            .Where(fields => fields.Length == 2)
            .ToDictionary(fields => fields[0], fields => fields[1]);
        var defaults = PipelineQueues.Default;
        foreach (var (queue, defaultQueue) in new[]
                 {
                     (named.Work, defaults.Work), (named.Quarantine, defaults.Quarantine), (named.DeliveryLimit, defaults.DeliveryLimit),
                 })
        {
            Assert.True(rows.ContainsKey(queue), listing);
            Assert.Contains("quorum", rows[queue], StringComparison.Ordinal);
            Assert.Contains("x-delivery-limit", rows[queue], StringComparison.Ordinal);
            // Its own delivery-limit queue in place of the default one's, and nothing else different.
            Assert.Equal(rows[defaultQueue], rows[queue].Replace(named.DeliveryLimit, defaults.DeliveryLimit, StringComparison.Ordinal));
        }
        Assert.Contains(named.DeliveryLimit, rows[named.Work], StringComparison.Ordinal);
        Assert.Contains(named.DeliveryLimit, rows[named.Quarantine], StringComparison.Ordinal);
        Assert.Contains(QueueNames.Dead, rows[named.DeliveryLimit], StringComparison.Ordinal);
    }

    private static async Task<ServiceProcess> StartConsumerAsync(TestPipeline pipeline, string processor, string name)
    {
        var consumer = pipeline.StartConsumer(processor, extra: ["--pipeline", name]);
        await consumer.WaitForOutputAsync($"Consuming {PipelineQueues.For(name).Work} with", s_consumerReady);
        return consumer;
    }

    private static byte[] Lines(string prefix, int count) =>
        System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, count).Select(i => $"{prefix} line {i} of a pipeline\n")));

    private static string Text(object? header) =>
        header is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : header?.ToString() ?? "<none>";

    /// <summary>Waits until every queue of the vhost is empty (no dead letter either); returns the last counts.</summary>
    private static async Task<Dictionary<string, long>> WaitDrainedAsync(TestPipeline pipeline)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var counts = await Ledger.QueueCountsAsync(pipeline);
            if (counts.Values.All(c => c == 0))
            {
                return counts;
            }
            Assert.True(DateTime.UtcNow < deadline, "queues not drained: " + string.Join(", ", counts.Select(q => $"{q.Key}={q.Value}")));
            await Task.Delay(250);
        }
    }
}
