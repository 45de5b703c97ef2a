using RabbitMQ.Client;

namespace Streaming.Bench.BrokerLimit;

/// <summary>The probe's two queues, quorum and durable like Streaming's work queue; named after the run so that rows
/// of one benchmark run never share them.</summary>
internal static class ProbeQueues
{
    public static string Work(string run) => $"probe.work.{run}";

    public static string Results(string run) => $"probe.results.{run}";

    public static async Task DeclareAsync(IChannel channel, string run)
    {
        var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        await channel.QueueDeclareAsync(Work(run), durable: true, exclusive: false, autoDelete: false, arguments: quorum);
        await channel.QueueDeclareAsync(Results(run), durable: true, exclusive: false, autoDelete: false, arguments: quorum);
    }

    public static async Task DeleteAsync(IChannel channel, string run)
    {
        await channel.QueueDeleteAsync(Work(run));
        await channel.QueueDeleteAsync(Results(run));
    }

    /// <param name="handlersAtOnce">Deliveries handled at once on a channel (a consumer's prefetch: each is in flight).</param>
    public static ConnectionFactory Factory(string uri, ushort handlersAtOnce = 1) =>
        new() { Uri = new Uri(uri), ClientProvidedName = "broker-limit-probe", ConsumerDispatchConcurrency = handlersAtOnce };

    public static readonly CreateChannelOptions Confirming = new(
        publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null);
}
