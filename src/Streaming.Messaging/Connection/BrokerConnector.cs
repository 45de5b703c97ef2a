using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Health;

namespace Streaming.Messaging.Connection;

/// <summary>
/// Opens the one connection a process uses, retrying with capped exponential backoff (Polly). One-shot commands give
/// up after <see cref="RabbitMqOptions.ConnectTimeoutSeconds"/>; services retry until the broker is there.
/// After that the client's automatic recovery takes over.
/// </summary>
public sealed class BrokerConnector(IOptions<RabbitMqOptions> options, BrokerConnectionState state, ILogger<BrokerConnector> logger)
{
    private readonly RabbitMqOptions _options = options.Value;

    public string MaskedUri => UriMasking.Mask(_options.Uri);

    public async Task<IConnection> ConnectAsync(string clientName, bool retryForever, CancellationToken cancellationToken)
    {
        var uri = _options.TryParseUri(out var error) ?? throw new ArgumentException(error);
        var factory = new ConnectionFactory
        {
            Uri = uri,
            ClientProvidedName = clientName,
            AutomaticRecoveryEnabled = true,
            // Every SupervisedSubscription declares its queue and subscribes again by itself after a recovery. The
            // client's topology recovery re-consumes every queue in one sweep, and one consume the broker refuses hard
            // (a leaderless quorum queue closes the connection with 541) fails the whole recovery, again and again.
            TopologyRecoveryEnabled = false,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
            RequestedHeartbeat = TimeSpan.FromSeconds(_options.HeartbeatSeconds),
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
        };
        if (uri.Scheme == "amqps" && !string.IsNullOrEmpty(_options.CaCertificateFile))
        {
            factory.Ssl.CertificateValidationCallback = PrivateCertificateAuthority.Load(_options.CaCertificateFile).Validate;
        }
        var pipeline = BuildPipeline(retryForever);
        try
        {
            var connection = await pipeline.ExecuteAsync(
                static async (f, ct) => await f.CreateConnectionAsync(ct), factory, cancellationToken);
            ConnectionLog.Connected(logger, MaskedUri, clientName);
            Watch(connection);
            state.Opened();
            return connection;
        }
        catch (Exception ex) when (ex is TimeoutRejectedException or BrokerUnreachableException or OperationInterruptedException or IOException
                                   && !cancellationToken.IsCancellationRequested)
        {
            throw new BrokerUnreachableAfterRetriesException(
                $"the broker at {MaskedUri} could not be reached within {_options.ConnectTimeoutSeconds} s: {Describe(ex)}", ex);
        }
    }

    private ResiliencePipeline BuildPipeline(bool retryForever)
    {
        var builder = new ResiliencePipelineBuilder();
        if (!retryForever)
        {
            builder.AddTimeout(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
        }
        return builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder()
                .Handle<BrokerUnreachableException>()
                .Handle<OperationInterruptedException>()
                .Handle<IOException>(),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                ConnectionLog.ConnectRetry(logger, MaskedUri, args.AttemptNumber + 1,
                    Describe(args.Outcome.Exception), args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    private void Watch(IConnection connection)
    {
        connection.ConnectionShutdownAsync += (_, e) =>
        {
            state.Lost();
            if (e.Initiator != ShutdownInitiator.Application)
            {
                ConnectionLog.ConnectionLost(logger, e.ReplyText);
            }
            return Task.CompletedTask;
        };
        connection.RecoverySucceededAsync += (_, _) =>
        {
            state.Opened();
            ConnectionLog.ConnectionRecovered(logger);
            return Task.CompletedTask;
        };
        connection.ConnectionBlockedAsync += (_, e) =>
        {
            ConnectionLog.Blocked(logger, e.Reason);
            return Task.CompletedTask;
        };
        connection.ConnectionUnblockedAsync += (_, _) =>
        {
            ConnectionLog.Unblocked(logger);
            return Task.CompletedTask;
        };
    }

    private static string Describe(Exception? ex)
    {
        while (ex?.InnerException is not null && ex is BrokerUnreachableException or AggregateException)
        {
            ex = ex.InnerException;
        }
        return ex is null ? "unknown" : UriMasking.Mask(ex.Message);
    }
}
