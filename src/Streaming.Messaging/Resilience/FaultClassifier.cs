using System.Net.Sockets;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Topology;

namespace Streaming.Messaging.Resilience;

/// <summary>
/// The one switch for "is this fault transient?" (after the client's own <c>ShouldTriggerConnectionRecovery</c>):
/// every retry, restart and give-up decision on a broker failure asks here, so one fault is classified the same way
/// wherever it lands.
/// </summary>
internal static class FaultClassifier
{
    /// <summary>Classifies <paramref name="exception"/>. <paramref name="cancellationToken"/> is the caller's own: an
    /// <see cref="OperationCanceledException"/> is a cancellation only when that token was cancelled; otherwise the
    /// client gave up on a call the broker left unanswered, a timeout.</summary>
    public static Fault Classify(Exception exception, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested => new(FaultKind.Cancelled, "cancelled"),
            // The client cancels a call the broker leaves unanswered past its continuation timeout.
            OperationCanceledException => new(FaultKind.Transient, "the broker did not answer in time"),

            // Ours: thrown once the broker answered with a refusal that will not change.
            BrokerRefusedException => new(FaultKind.Refused, exception.Message),
            TopologyMismatchException => new(FaultKind.Refused, exception.Message),
            // Ours: a one-shot command's connect retries ran out; retrying again is the caller's decision, not ours.
            BrokerUnreachableAfterRetriesException => new(FaultKind.Permanent, exception.Message),
            MessageFormatException => new(FaultKind.Permanent, "malformed message: " + exception.Message),

            // ACCESS_REFUSED at login: wrong user name or password.
            AuthenticationFailureException => new(FaultKind.Refused, "authentication failed: " + exception.Message),
            // The connection was closed during the handshake: a refused login on some brokers, a dropped one on others.
            PossibleAuthenticationFailureException => new(FaultKind.Transient, "the broker closed the connection during the handshake"),
            // Tried every node of the list: transient unless a node refused this user (checked before retrying).
            BrokerUnreachableException { InnerException: { } inner } when Classify(inner, cancellationToken).Kind == FaultKind.Refused
                => Classify(inner, cancellationToken),
            BrokerUnreachableException => new(FaultKind.Transient, "no node of the list could be reached"),
            ConnectFailureException => new(FaultKind.Transient, "could not connect: " + exception.Message),
            // Something other than an AMQP 0-9-1 broker answered on that port.
            ProtocolVersionMismatchException or PacketNotRecognizedException => new(FaultKind.Permanent, exception.Message),
            // No free channel number: this process's bug, not the broker's.
            ChannelAllocationException => new(FaultKind.Permanent, exception.Message),
            // The broker closed the connection or channel (AlreadyClosedException is one of these): its reply code tells.
            OperationInterruptedException interrupted => Classify(interrupted.ShutdownReason),
            // A nack (the broker could not store it) or a return (no queue bound yet, e.g. one being declared again).
            PublishException { IsReturn: true } => new(FaultKind.Transient, "the broker returned a publish (no queue to route to)"),
            PublishException => new(FaultKind.Transient, "the broker nacked a publish"),

            TimeoutRejectedException or TimeoutException => new(FaultKind.Transient, "timed out: " + exception.Message),
            // The socket: a broker restarting, a network black hole, a node gone.
            SocketException or IOException => new(FaultKind.Transient, "connection: " + exception.Message),
            AggregateException aggregate => Classify(aggregate, cancellationToken),
            _ => new(FaultKind.Permanent, exception.GetType().Name + ": " + exception.Message),
        };
    }

    /// <summary>True when trying again later can succeed.</summary>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken = default) =>
        Classify(exception, cancellationToken).IsTransient;

    /// <summary>True when the broker went away (or refused this user mid-run) and the caller's retries ran out: a fault
    /// to wait out or report as the broker's. A full or failing disk is an <see cref="IOException"/> classified as
    /// transient too, but it is not the broker's.</summary>
    public static bool IsBrokerFailure(Exception exception, CancellationToken cancellationToken = default) =>
        exception is not IOException && Classify(exception, cancellationToken).Kind is FaultKind.Transient or FaultKind.Refused;

    /// <summary>A close the broker (or the client) initiated, by its AMQP reply code.</summary>
    private static Fault Classify(ShutdownEventArgs? reason)
    {
        if (reason is null)
        {
            return new(FaultKind.Transient, "the connection was interrupted");
        }
        var what = $"{reason.ReplyCode} {reason.ReplyText}";
        return reason.ReplyCode switch
        {
            // The broker will answer the same way again: user, permissions, vhost.
            _ when BrokerRefusal.Refuses(reason) => new(FaultKind.Refused, "refused: " + what),
            Constants.InvalidPath => new(FaultKind.Refused, "no such vhost: " + what),
            Constants.NotImplemented => new(FaultKind.Permanent, "not implemented by the broker: " + what),
            // CONNECTION_FORCED (a node stopping), NOT_FOUND (a queue deleted, declared again), RESOURCE_LOCKED,
            // PRECONDITION_FAILED (an ack after recovery, a message over the size limit), INTERNAL_ERROR (a quorum queue
            // without a leader), a vhost restarting, the socket closed (reply 541 from the library): all pass.
            _ => new(FaultKind.Transient, "closed by " + reason.Initiator.ToString().ToLowerInvariant() + ": " + what),
        };
    }

    /// <summary>Several failures at once (one per node tried): transient when any may pass; else the first refusal.</summary>
    private static Fault Classify(AggregateException aggregate, CancellationToken cancellationToken)
    {
        var faults = aggregate.Flatten().InnerExceptions.Select(e => Classify(e, cancellationToken)).ToList();
        if (faults.Count == 0)
        {
            return new(FaultKind.Permanent, aggregate.Message);
        }
        return faults.FirstOrDefault(f => f.Kind == FaultKind.Transient) is { Reason: not null } transient
            ? transient
            : faults.FirstOrDefault(f => f.Kind == FaultKind.Refused) is { Reason: not null } refused ? refused : faults[0];
    }
}
