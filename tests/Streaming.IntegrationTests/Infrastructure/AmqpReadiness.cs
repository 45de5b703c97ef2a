using RabbitMQ.Client;
using Streaming.Messaging.Connection;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>A broker is ready when an AMQP connection to it opens; an open port alone is not enough.</summary>
internal static class AmqpReadiness
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Retries a connection until one opens. <paramref name="deadReason"/> returns why the broker can never become
    /// ready (its process exited), or null; it ends the wait at once.
    /// </summary>
    public static async Task WaitAsync(Uri uri, TimeSpan timeout, Func<string?> deadReason, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            Uri = uri,
            ClientProvidedName = "streaming-tests-readiness",
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(2),
        };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Exception? last = null;
        while (true)
        {
            var dead = deadReason();
            if (dead is not null)
            {
                throw new InvalidOperationException($"the broker at {UriMasking.Mask(uri)} will not become ready: {dead}", last);
            }
            try
            {
                await using var connection = await factory.CreateConnectionAsync(deadline.Token);
                await connection.CloseAsync(deadline.Token);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                last = ex;
            }
            try
            {
                await Task.Delay(s_retryDelay, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"no AMQP connection to {UriMasking.Mask(uri)} within {timeout.TotalSeconds:0} s: {last?.GetBaseException().Message}", last);
            }
        }
    }
}
