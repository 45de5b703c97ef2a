using System.Net.Sockets;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Contract;
using Streaming.Messaging.Resilience;
using Streaming.Messaging.Topology;

namespace Streaming.UnitTests.Messaging.Resilience;

public sealed class FaultClassifierTests
{
    public static TheoryData<Exception> TransientFaults() => new()
    {
        Closed(Constants.ConnectionForced, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"),
        Closed(Constants.InternalError, "INTERNAL_ERROR - quorum queue has no leader"),
        Closed(Constants.NotFound, "NOT_FOUND - no queue 'streaming.results.x' in vhost '/'"),
        Closed(Constants.PreconditionFailed, "PRECONDITION_FAILED - unknown delivery tag 7"),
        Closed(Constants.ResourceLocked, "RESOURCE_LOCKED - cannot obtain exclusive access"),
        Closed(Constants.NotAllowed, "NOT_ALLOWED - vhost orders is down"),
        Closed(Constants.NotAllowed, "NOT_ALLOWED - access to vhost 'orders' refused for user 'app': connection limit (10) is reached"),
        new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream")),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED")),
        new OperationInterruptedException(),
        new BrokerUnreachableException(new AggregateException(new ConnectFailureException("Connection failed", new SocketException((int)SocketError.ConnectionRefused)))),
        new BrokerUnreachableException(new IOException("connection reset")),
        new ConnectFailureException("Connection failed", new IOException()),
        new PossibleAuthenticationFailureException("Possibly caused by authentication failure"),
        new IOException("Unable to read data from the transport connection: Connection reset by peer."),
        new EndOfStreamException(),
        new SocketException((int)SocketError.HostUnreachable),
        new TimeoutException("no confirm for a publish to 'streaming.lines' within 30 s"),
        new TimeoutRejectedException("The operation didn't complete within the allowed timeout of '00:00:30'."),
        new PublishException(12, isReturn: false),
        new PublishException(13, isReturn: true),
        new AggregateException(new AuthenticationFailureException("ACCESS_REFUSED"), new IOException("node 2 down")),
    };

    public static TheoryData<Exception> Refusals() => new()
    {
        new AuthenticationFailureException("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"),
        new BrokerUnreachableException(new AggregateException(new AuthenticationFailureException("ACCESS_REFUSED - Login was refused"))),
        Closed(Constants.AccessRefused, "ACCESS_REFUSED - access to queue 'streaming.lines' in vhost '/' refused for user 'app'"),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.AccessRefused, "ACCESS_REFUSED")),
        Closed(Constants.NotAllowed, "NOT_ALLOWED - vhost orders not found"),
        Closed(Constants.NotAllowed, "NOT_ALLOWED - access to vhost 'orders' refused for user 'app'"),
        Closed(Constants.InvalidPath, "INVALID_PATH"),
        new BrokerRefusedException("the broker refused user 'app'", null),
        new TopologyMismatchException("streaming.lines", "PRECONDITION_FAILED - inequivalent arg 'x-queue-type'", new IOException()),
    };

    public static TheoryData<Exception> PermanentErrors() => new()
    {
        new MessageFormatException("truncated header"),
        new BrokerUnreachableAfterRetriesException("the broker at amqp://h could not be reached within 30 s", null),
        new ProtocolVersionMismatchException(0, 9, 1, 0),
        new PacketNotRecognizedException(1, 1, 0, 9),
        new ChannelAllocationException(2048),
        Closed(Constants.NotImplemented, "NOT_IMPLEMENTED"),
        new InvalidOperationException("a bug"),
        new ObjectDisposedException("channel"),
        new UnauthorizedAccessException("data/outbox"),
        new AggregateException(new InvalidOperationException("a bug")),
    };

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public void Classify_PassingBrokerOrNetworkFault_IsTransient(Exception exception)
    {
        var fault = FaultClassifier.Classify(exception);

        Assert.Equal(FaultKind.Transient, fault.Kind);
        Assert.False(string.IsNullOrWhiteSpace(fault.Reason));
        Assert.True(FaultClassifier.IsTransient(exception));
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Classify_RefusedConfiguration_IsRefused(Exception exception)
    {
        var fault = FaultClassifier.Classify(exception);

        Assert.Equal(FaultKind.Refused, fault.Kind);
        Assert.False(FaultClassifier.IsTransient(exception));
    }

    [Theory]
    [MemberData(nameof(PermanentErrors))]
    public void Classify_AnythingElse_IsPermanent(Exception exception)
    {
        Assert.Equal(FaultKind.Permanent, FaultClassifier.Classify(exception).Kind);
    }

    [Fact]
    public void Classify_CancellationOfTheCallersToken_IsCancelled()
    {
        using var stopping = new CancellationTokenSource();
        stopping.Cancel();

        Assert.Equal(FaultKind.Cancelled, FaultClassifier.Classify(new OperationCanceledException(stopping.Token), stopping.Token).Kind);
        Assert.Equal(FaultKind.Cancelled, FaultClassifier.Classify(new TaskCanceledException(), stopping.Token).Kind);
    }

    [Fact]
    public void Classify_CancellationWhileTheCallerRuns_IsATimeoutOfTheClient()
    {
        using var clientTimeout = new CancellationTokenSource();
        clientTimeout.Cancel();

        var fault = FaultClassifier.Classify(new OperationCanceledException(clientTimeout.Token), CancellationToken.None);

        Assert.Equal(FaultKind.Transient, fault.Kind);
        Assert.Contains("did not answer", fault.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_BrokerClose_ReasonCarriesTheReplyCodeAndText()
    {
        var fault = FaultClassifier.Classify(Closed(Constants.ConnectionForced, "CONNECTION_FORCED - shutdown"));

        Assert.Contains("320 CONNECTION_FORCED - shutdown", fault.Reason, StringComparison.Ordinal);
    }

    private static AlreadyClosedException Closed(ushort code, string text) =>
        new(new ShutdownEventArgs(ShutdownInitiator.Peer, code, text));
}
