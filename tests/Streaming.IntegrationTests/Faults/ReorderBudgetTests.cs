using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// Issue 21, item 15, on a real broker: the results held for reordering share one byte budget per process
/// (<c>Producer:ReorderBudgetMiB</c>). With a budget of 1 MiB and results of about 256 KiB coming back out of order from
/// two consumers (the first batch is slow), results ahead of their turn are refused (not held) and come again, the result the file needs next is
/// always held, and the file still ends byte-exact: no deadlock, nothing lost or doubled.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ReorderBudgetTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan s_run = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task PublishWait_ResultsAheadPastTheProcessBudget_AreRefusedAndComeAgainAndTheOutputIsExact()
    {
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        var line = new string('r', 64 * 1024);
        var content = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 120).Select(i => $"{i:D6} {line}\n")));
        var input = pipeline.WriteInput("large-results.txt", content);
        // The first batch takes 3 s on whichever consumer gets it, while the other works through the window: the
        // results ahead of it are more than the budget (identity alone often returned them in order: nothing refused).
        var slowFirst = "exec:python3 " + Exec.ExecWorkers.Script + " slow-on 000000 3000";
        await pipeline.StartConsumerAsync(slowFirst, extra: ["--concurrency", "1"]);
        await pipeline.StartConsumerAsync(slowFirst, extra: ["--concurrency", "1"]);

        var producer = pipeline.StartPublish(
            [input], new Dictionary<string, string?> { ["Producer__ReorderBudgetMiB"] = "1", ["Producer__Window"] = "8" },
            "--batch-lines", "4");
        var code = await producer.WaitForExitAsync(s_run);

        Assert.True(code == 0, producer.Describe());
        Ledger.AssertOutput(input, content, "identity");
        Assert.True(TestPipeline.ReadSummary(input).GetProperty("resultsDropped").GetInt64() > 0,
            "no result was refused: the budget was not reached, " + producer.Describe());
        await Ledger.AssertQueuesDrainedAsync(pipeline);
    }
}
