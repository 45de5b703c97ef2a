using System.Text;
using System.Text.RegularExpressions;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>A batch that every consumer refuses (dead-letters) fails its lines after a bounded number of retransmissions,
/// and the file finishes with exit 1, instead of being retransmitted forever.</summary>
[Collection(BrokerCollection.Name)]
public sealed class UnacceptedBatchTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task PublishWait_BatchEveryConsumerRefuses_FailsItsLinesAndTheFileFinishes()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var text = new StringBuilder();
        for (var i = 1; i <= 100; i++)
        {
            text.Append(i == 25 ? new string('x', 5000) : $"line {i}").Append('\n');
        }
        var content = Encoding.ASCII.GetBytes(text.ToString());
        var input = pipeline.WriteInput("refused.txt", content);
        var strict = new Dictionary<string, string?> { ["Consumer__MaxLineBytes"] = "1000" };
        await pipeline.StartConsumerAsync("identity", environment: strict);
        await pipeline.StartConsumerAsync("identity", environment: strict);

        var producer = pipeline.StartPublish([input], new Dictionary<string, string?>
        {
            ["Producer__RetransmitSeconds"] = "1",
            ["Producer__RetransmissionsBeforeFailing"] = "2",
        }, "--batch-lines", "10");
        var code = await producer.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(code == 1, producer.Describe());
        var batchOfTheLongLine = Enumerable.Range(21, 10).Select(l => (long)l).ToHashSet();
        Ledger.AssertOutput(input, content, "identity", batchOfTheLongLine);
        Assert.All(TestPipeline.ReadErrors(input), e => Assert.Contains("no consumer accepted this batch", e.Error, StringComparison.Ordinal));
        // Every publish of the batch was dead-lettered by the consumers: the first one and each retransmission. Those
        // are the two that count, and more when a check for attached consumers failed on a loaded broker (a wait that
        // does not count): ci37c's had four.
        var retransmissions = Regex.Count(producer.StandardError, "no result for batch 2 in");
        Assert.True(retransmissions >= 2, producer.Describe());
        await Ledger.AssertQueuesDrainedAsync(pipeline, expectedDead: 1 + retransmissions);
    }
}
