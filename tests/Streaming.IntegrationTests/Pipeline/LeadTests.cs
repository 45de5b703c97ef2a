using System.Text;
using RabbitMQ.Client;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.Messaging.Topology;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Pipeline;

/// <summary>
/// A job queues no more than <c>Producer:LeadMilliseconds</c> of work ahead of others (<c>LeadLimit</c>): whatever a
/// big job has in the work queue is what a small job sent beside it waits behind.
/// </summary>
[Collection(BrokerSecondCollection.Name)]
public sealed class LeadTests(RabbitMqBroker broker, ITestOutputHelper output)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Publish_SlowBatchesAndALargeWindow_QueuesOnlyAboutTheLeadsWorth()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        // 360 batches of 20 lines at 5 ms a line: 100 ms a batch, 20 a second with 2 at a time; half a second of them
        // is 10 (12 or so once the round trip's share is counted), against a window of 64.
        var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 7200).Select(i => $"line {i}\n")));
        var input = pipeline.WriteInput("slow.txt", content);
        await pipeline.StartConsumerAsync("delay:5", extra: ["--concurrency", "2", "--prefetch", "2"]);
        var started = DateTime.UtcNow;
        var producer = pipeline.StartPublish([input], new Dictionary<string, string?> { ["Producer__Window"] = "64" },
            "--batch-lines", "20");

        var deepest = await DeepestQueueAsync(pipeline, producer, after: TimeSpan.FromSeconds(10));
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Assert.Equal(ReferenceOutput.OutputFile("identity", content), File.ReadAllBytes(input + ".out"));
        output.WriteLine($"deepest work queue after 10 s: {deepest} messages ready; run {DateTime.UtcNow - started}");
        Assert.InRange(deepest, 0u, 24u);
    }

    /// <summary>The most messages ready in the work queue while the producer runs, from <paramref name="after"/> on (the
    /// limit applies once 64 batches are written, ~3.5 s in; the 60 or so queued by then take ~2.5 s more to drain).</summary>
    private static async Task<uint> DeepestQueueAsync(TestPipeline pipeline, ServiceProcess producer, TimeSpan after)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var from = DateTime.UtcNow + after;
        var deadline = DateTime.UtcNow + s_run;
        uint deepest = 0;
        while (!producer.HasExited && DateTime.UtcNow < deadline)
        {
            var ready = (await channel.QueueDeclarePassiveAsync(QueueNames.Work)).MessageCount;
            if (DateTime.UtcNow >= from)
            {
                deepest = Math.Max(deepest, ready);
            }
            await Task.Delay(50);
        }
        return deepest;
    }
}
