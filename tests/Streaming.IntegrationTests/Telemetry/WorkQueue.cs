using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Topology;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>Waits on the broker's view of <c>streaming.lines</c>.</summary>
internal static class WorkQueue
{
    /// <summary>Waits until at least <paramref name="consumers"/> consumers are attached (the queue may not exist yet).</summary>
    public static async Task WaitForConsumersAsync(string uri, int consumers, CancellationToken cancellationToken)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync(cancellationToken);
        while (true)
        {
            try
            {
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                if ((await channel.QueueDeclarePassiveAsync(QueueNames.Work, cancellationToken)).ConsumerCount >= consumers)
                {
                    return;
                }
            }
            catch (OperationInterruptedException)
            {
                // Not declared yet: the consumers declare it when they connect.
            }
            await Task.Delay(100, cancellationToken);
        }
    }
}
