using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.IntegrationTests.Infrastructure;
using Streaming.IntegrationTests.Pipeline;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// A results queue is a quorum queue with <c>x-expires</c> (a day, <c>StreamingTopology.ResultsQueueExpiry</c>): the
/// design relies on the broker renewing that lease while the producer consumes the queue, however long no result
/// comes (a job whose first batch is slow), and on nothing else renewing it, so that the queue of a producer that died
/// goes away although consumers still publish late results to it. Checked on the run's broker (CI: 4.0.5) with the
/// product's own declaration and a policy (<c>expires</c>, 3 s) that shortens the lease for this vhost only.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ResultsQueueExpiryTests(RabbitMqBroker broker, ITestOutputHelper output)
{
    private static readonly TimeSpan s_expiry = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_expiredWithin = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_publishEvery = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task ResultsQueue_ConsumedForThreeLeases_SurvivesThenExpiresOnceItsProducerDiesThoughResultsKeepArriving()
    {
        if (!broker.CanControl)
        {
            return;     // RABBITMQ_URI: no policy can be set through rabbitmqctl
        }
        await using var pipeline = await TestPipeline.CreateAsync(broker);
        pipeline.ServiceEnvironment["Logging__LogLevel__Default"] = "Information";
        await broker.RabbitMqCtlAsync("set_policy", "-p", pipeline.Vhost, "--apply-to", "queues", "results-expiry",
            @"^streaming\.results\.", $"{{\"expires\":{(long)s_expiry.TotalMilliseconds}}}");
        var input = pipeline.WriteInput("waiting.txt", "a\nb\nc\n"u8.ToArray());

        // No consumer: the job waits for its results, consuming its results queue, and nothing arrives on it.
        var producer = pipeline.StartPublish([input]);
        await producer.WaitForOutputAsync("come back to streaming.results.", TimeSpan.FromSeconds(60));
        var queue = ProducerLog.ResultsQueue(producer);
        Assert.Equal("results-expiry", await PolicyOfAsync(pipeline, queue));
        await Task.Delay(3 * s_expiry);

        Assert.Equal("1", await ConsumersOfAsync(pipeline, queue));
        Assert.False(producer.HasExited, producer.Describe());

        producer.Kill();
        Assert.NotEqual(0, await producer.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var (gone, published) = await PublishUntilGoneAsync(pipeline, queue);

        Assert.True(gone is not null, $"{queue} was still there {s_expiredWithin.TotalSeconds:0} s after its producer died ({published} results published to it meanwhile)");
        Assert.True(published >= 2, $"only {published} results were published to {queue} before it expired");
        output.WriteLine($"{queue} expired {gone.Value.TotalSeconds:0.0} s after its producer was killed ({s_expiry.TotalSeconds:0} s lease), {published} late results published to it meanwhile");
    }

    /// <summary>Publishes a result to <paramref name="queue"/> every 500 ms, as consumers still working on a dead
    /// producer's batches do, until the queue is gone; returns when it went (null: not within a minute) and how many
    /// were published.</summary>
    private async Task<(TimeSpan? Gone, int Published)> PublishUntilGoneAsync(TestPipeline pipeline, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(pipeline.Uri) }.CreateConnectionAsync();
        // The late results go out at their own pace, apart from the checks: each rabbitmqctl call takes a second or more
        // on a loaded machine, and publishing only between checks sent one result before a 3 s lease ran out.
        using var stop = new CancellationTokenSource();
        var published = 0;
        var publishing = Task.Run(async () =>
        {
            var channel = await connection.CreateChannelAsync();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await channel.BasicPublishAsync("", queue, "late result"u8.ToArray());
                        Interlocked.Increment(ref published);
                    }
                    catch (AlreadyClosedException) when (connection.IsOpen)
                    {
                        // A publish that meets the queue while the broker deletes it can close the channel (ci40c:
                        // 541 INTERNAL_ERROR); a consumer's publisher opens another, and so does this stand-in for one.
                        await channel.DisposeAsync();
                        channel = await connection.CreateChannelAsync();
                    }
                    await Task.Delay(s_publishEvery, CancellationToken.None);
                }
            }
            finally
            {
                await channel.DisposeAsync();
            }
        });
        var clock = Stopwatch.StartNew();
        TimeSpan? gone = null;
        while (clock.Elapsed < s_expiredWithin)
        {
            if (await ConsumersOfAsync(pipeline, queue) is null)
            {
                gone = clock.Elapsed;
                break;
            }
            await Task.Delay(s_publishEvery);
        }
        await stop.CancelAsync();
        await publishing;
        return (gone, Volatile.Read(ref published));
    }

    /// <summary>The queue's consumer count as rabbitmqctl lists it; null when the vhost has no such queue.</summary>
    private async Task<string?> ConsumersOfAsync(TestPipeline pipeline, string queue) =>
        (await ListAsync(pipeline, "consumers")).GetValueOrDefault(queue);

    private async Task<string?> PolicyOfAsync(TestPipeline pipeline, string queue) =>
        (await ListAsync(pipeline, "policy")).GetValueOrDefault(queue);

    private async Task<Dictionary<string, string>> ListAsync(TestPipeline pipeline, string column)
    {
        var listing = await broker.RabbitMqCtlAsync("list_queues", "-q", "--no-table-headers", "-p", pipeline.Vhost, "name", column);
        return listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(row => row.Split('\t', StringSplitOptions.TrimEntries))
            .Where(fields => fields.Length == 2)
            .ToDictionary(fields => fields[0], fields => fields[1]);
    }
}
