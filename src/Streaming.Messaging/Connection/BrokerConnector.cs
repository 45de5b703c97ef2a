using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Health;
using Streaming.Messaging.Resilience;

namespace Streaming.Messaging.Connection;

/// <summary>
/// Opens the one connection a process uses, to the first node of <see cref="RabbitMqOptions.Uri"/> that answers,
/// retrying the list with capped exponential backoff (Polly). One-shot commands give up after
/// <see cref="RabbitMqOptions.ConnectTimeoutSeconds"/>; services retry until the broker is there. A broker that refuses
/// the user or the vhost ends it at once (<see cref="BrokerRefusedException"/>). After that the client's automatic
/// recovery takes over, across the same list of nodes.
/// </summary>
internal sealed class BrokerConnector(IOptions<RabbitMqOptions> options, BrokerConnectionState state, ILogger<BrokerConnector> logger)
{
    /// <summary>Bounds the channel opened to learn whether the broker accepted the vhost.</summary>
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(10);

    private readonly RabbitMqOptions _options = options.Value;

    /// <summary>The broker's URI (or list), passwords masked.</summary>
    public string MaskedUri => UriMasking.Mask(_options.Uri);

    public async Task<IConnection> ConnectAsync(string clientName, bool retryForever, CancellationToken cancellationToken)
    {
        // Validated at start-up (ServiceHost.TryValidateBroker); this only fails when that step was skipped.
        var address = _options.TryParseAddress(out var error) ?? throw new ArgumentException(error);
        var privateAuthority = string.IsNullOrEmpty(_options.CaCertificateFile)
            ? null
            : PrivateCertificateAuthority.TryLoad(_options.CaCertificateFile, out error) ?? throw new ArgumentException(error);
        var certificates = new BrokerCertificateCheck(privateAuthority);
        var factory = new ConnectionFactory
        {
            UserName = address.UserName,
            Password = address.Password,
            VirtualHost = address.VirtualHost,
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
        NodeOrder? order = null;
        factory.EndpointResolverFactory = nodes => order = BrokerEndpoints.InOrder(nodes);
        var endpoints = BrokerEndpoints.Create(address, certificates.Validate);
        string? lastFailure = null;
        var pipeline = BuildPipeline(retryForever, certificates, failure => lastFailure = failure);
        try
        {
            var connection = await pipeline.ExecuteAsync(
                async ct => await OpenAsync(factory, endpoints, address, clientName, ct), cancellationToken);
            ConnectionLog.Connected(logger, MaskedUri, connection.Endpoint, clientName);
            Watch(connection, order!);
            state.Opened();
            return connection;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && FaultClassifier.IsTransient(ex, cancellationToken))
        {
            throw new BrokerUnreachableAfterRetriesException(
                $"the broker at {MaskedUri} could not be reached within {_options.ConnectTimeoutSeconds} s: {(ex is TimeoutRejectedException ? lastFailure : null) ?? Describe(ex, certificates)}", ex);
        }
    }

    /// <summary>Connects, then opens and closes a channel: RabbitMQ 3.x accepts the connection before it refuses the
    /// vhost, so only the next round trip tells.</summary>
    private static async Task<IConnection> OpenAsync(
        ConnectionFactory factory, IReadOnlyList<AmqpTcpEndpoint> endpoints, BrokerAddress address, string clientName, CancellationToken cancellationToken)
    {
        IConnection connection;
        try
        {
            connection = await factory.CreateConnectionAsync(endpoints, clientName, cancellationToken);
        }
        catch (BrokerUnreachableException ex) when (BrokerRefusal.Describe(ex, address) is { } refusal)
        {
            throw new BrokerRefusedException(refusal, ex);
        }
        try
        {
            using var probeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            probeTimeout.CancelAfter(s_probeTimeout);
            await using var probe = await connection.CreateChannelAsync(cancellationToken: probeTimeout.Token);
            await probe.CloseAsync(probeTimeout.Token);
            return connection;
        }
        catch (Exception ex)
        {
            // RabbitMQ 4.0 may close the connection for a missing vhost while the channel opens: the client then
            // throws a bare ChannelClosedException, and only the connection's close reason says why.
            var closed = connection.CloseReason;
            await connection.DisposeAsync();
            if ((BrokerRefusal.Describe(ex, address) ?? (closed is null ? null : BrokerRefusal.Describe(closed, address))) is { } refusal)
            {
                throw new BrokerRefusedException(refusal, ex);
            }
            if (closed is not null && ex is System.Threading.Channels.ChannelClosedException)
            {
                throw new IOException($"the broker closed the connection: {closed.ReplyText}", ex);
            }
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the broker did not open a channel within {s_probeTimeout.TotalSeconds} s", ex);
            }
            throw;
        }
    }

    /// <param name="failed">Told each attempt's failure: when the timeout ends the retries, the message gives the last.</param>
    private ResiliencePipeline BuildPipeline(bool retryForever, BrokerCertificateCheck certificates, Action<string> failed)
    {
        var builder = new ResiliencePipelineBuilder();
        if (!retryForever)
        {
            builder.AddTimeout(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
        }
        return builder.AddRetry(RetryDefaults.Connect.ToRetryStrategy(args =>
        {
            var reason = Describe(args.Outcome.Exception, certificates);
            failed(reason);
            ConnectionLog.ConnectRetry(logger, MaskedUri, args.AttemptNumber + 1, reason, args.RetryDelay.TotalMilliseconds);
            return ValueTask.CompletedTask;
        })).Build();
    }

    private void Watch(IConnection connection, NodeOrder order)
    {
        connection.ConnectionShutdownAsync += (_, e) =>
        {
            state.Lost();
            order.Lost(connection.Endpoint);
            if (e.Initiator != ShutdownInitiator.Application)
            {
                ConnectionLog.ConnectionLost(logger, e.ReplyText);
            }
            return Task.CompletedTask;
        };
        connection.RecoverySucceededAsync += (_, _) =>
        {
            state.Opened();
            ConnectionLog.ConnectionRecovered(logger, connection.Endpoint);
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

    /// <summary>Why connecting failed, in one line: each node's reason when several were tried.</summary>
    private static string Describe(Exception? ex, BrokerCertificateCheck certificates)
    {
        while (ex is BrokerUnreachableException { InnerException: { } inner })
        {
            ex = inner;
        }
        if (ex is AggregateException aggregate)
        {
            return string.Join("; ", aggregate.InnerExceptions.Select(e => Describe(e, certificates)).Distinct(StringComparer.Ordinal));
        }
        if (ex is AuthenticationException && certificates.LastRefusal is { } refusal)
        {
            return refusal;
        }
        return ex is null ? "unknown" : UriMasking.Mask(ex.Message);
    }
}
