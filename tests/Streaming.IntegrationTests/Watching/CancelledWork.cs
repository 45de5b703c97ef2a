using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RabbitMQ.Client;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Watching;

/// <summary>What the cancel tests measure of the fleet: when the work queues are idle again, which queues are
/// left, and how many batches the consumers skipped.</summary>
internal static partial class CancelledWork
{
    /// <summary><paramref name="count"/> short numbered lines.</summary>
    public static byte[] Lines(int count)
    {
        var text = new StringBuilder(count * 14);
        for (var i = 1; i <= count; i++)
        {
            text.Append("line ").Append(i).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// How long after <paramref name="cancelledAt"/> (wall clock, as the services log) the fleet stopped spending work
    /// on the cancelled job: the later of the moment <c>streaming.lines</c> and <c>streaming.quarantine</c> had no
    /// message ready (a passive declare every 50 ms) and the last batch a consumer logged as skipped (a batch waiting
    /// in a consumer, or running, is stopped and logged). Then checks, with rabbitmqctl, that no message is left in
    /// them at all, in anyone's hands.
    /// </summary>
    public static async Task<TimeSpan> WaitUntilFreedAsync(
        TestPipeline pipeline, DateTime cancelledAt, IEnumerable<ServiceProcess> consumers, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        await using var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync(deadline.Token);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: deadline.Token);
        while ((await channel.QueueDeclarePassiveAsync(QueueNames.Work, deadline.Token)).MessageCount
               + (await channel.QueueDeclarePassiveAsync(QueueNames.Quarantine, deadline.Token)).MessageCount > 0)
        {
            await Task.Delay(50, deadline.Token);
        }
        var drained = DateTime.Now - cancelledAt;
        Dictionary<string, long> counts;
        while ((counts = await Ledger.QueueCountsAsync(pipeline)).GetValueOrDefault(QueueNames.Work, -1) != 0
               || counts.GetValueOrDefault(QueueNames.Quarantine, -1) != 0)
        {
            await Task.Delay(200, deadline.Token);
        }
        var lastSkip = consumers.SelectMany(c => SkippedLine().Matches(c.StandardOutput + c.StandardError))
            .Select(m => LoggedAt(m.Groups["time"].Value))
            .DefaultIfEmpty(cancelledAt)
            .Max();
        return drained > lastSkip - cancelledAt ? drained : lastSkip - cancelledAt;
    }

    /// <summary>A service's log time (HH:mm:ss.fff, local) as today's, or yesterday's just after midnight.</summary>
    private static DateTime LoggedAt(string time)
    {
        var at = DateTime.Today + TimeSpan.ParseExact(time, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
        return at > DateTime.Now.AddMinutes(1) ? at.AddDays(-1) : at;
    }

    /// <summary>Waits until <c>streaming.lines</c> holds <paramref name="batches"/> messages.</summary>
    public static async Task WaitForQueuedAsync(TestPipeline pipeline, long batches, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while ((await Ledger.QueueCountsAsync(pipeline)).GetValueOrDefault(QueueNames.Work) != batches)
        {
            await Task.Delay(200, deadline.Token);
        }
    }

    /// <summary>Every queue of the vhost but the work queues and the consumers' cancel listeners.</summary>
    public static async Task<List<string>> OtherQueuesAsync(TestPipeline pipeline) =>
        (await Ledger.QueueCountsAsync(pipeline)).Keys
            .Where(q => q is not (QueueNames.Work or QueueNames.Quarantine or QueueNames.Dead or QueueNames.DeliveryLimit)
                        && !q.StartsWith(QueueNames.CancelListenerPrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The batches a consumer logged as skipped because their job was cancelled.</summary>
    public static int SkippedForCancel(ServiceProcess consumer) => Skipped(consumer, "its job was cancelled");

    /// <summary>The batches a consumer logged as skipped because their results queue is gone.</summary>
    public static int SkippedForGoneQueue(ServiceProcess consumer) => Skipped(consumer, "its results queue is gone");

    private static int Skipped(ServiceProcess consumer, string reason) =>
        SkippedLine().Matches(consumer.StandardOutput + consumer.StandardError).Count(m => m.Groups["reason"].Value == reason);

    [GeneratedRegex(@"(?<time>\d\d:\d\d:\d\d\.\d\d\d) .*Skipped batch \d+ of job [0-9a-f-]+ \(\d+ lines\) without running the processor: (?<reason>[a-z ]+)")]
    private static partial Regex SkippedLine();
}
