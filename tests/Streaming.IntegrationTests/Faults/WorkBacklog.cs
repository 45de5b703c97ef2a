using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// Queued work for a fault that must find some. The lead limit (<c>Producer:LeadMilliseconds</c>) keeps only about a
/// second of work queued, which a consumer on a loaded machine drains now and then: a fault timed by the output's
/// progress alone may find the queue empty, and the path it was meant to walk is never taken (ci38 and ci39b).
/// </summary>
internal static class WorkBacklog
{
    /// <summary>The producer's environment for a whole window (32 batches) queued ahead, not the lead limit's second.</summary>
    public static Dictionary<string, string?> WindowAlone() => new() { ["Producer__LeadMilliseconds"] = "0" };

    /// <summary>Waits until the work queue holds at least <paramref name="minimum"/> batches (ready and in flight); fails
    /// after a minute with the last count.</summary>
    public static async Task WaitForAsync(TestPipeline pipeline, int minimum)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        long queued;
        while ((queued = (await Ledger.QueueCountsAsync(pipeline)).GetValueOrDefault(QueueNames.Work)) < minimum)
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"{QueueNames.Work} held {queued} batches, never {minimum}: the fault would find no work queued");
            }
            await Task.Delay(100, CancellationToken.None);
        }
    }
}
