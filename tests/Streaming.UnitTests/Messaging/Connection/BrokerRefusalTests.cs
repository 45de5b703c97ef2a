using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Connection;

namespace Streaming.UnitTests.Messaging.Connection;

public sealed class BrokerRefusalTests
{
    private static readonly BrokerAddress s_address = BrokerAddress.TryParse("amqp://app:pw@h/orders", out _)!;

    [Fact]
    public void Describe_LoginRefused_NamesTheUser()
    {
        var refused = new BrokerUnreachableException(new AuthenticationFailureException("ACCESS_REFUSED - Login was refused"));

        Assert.Equal("the broker refused user 'app': wrong user name or password", BrokerRefusal.Describe(refused, s_address));
    }

    [Fact]
    public void Describe_VhostNotFound_NamesTheVhost()
    {
        var closed = Closed(Constants.NotAllowed, "NOT_ALLOWED - vhost orders not found");

        Assert.Contains("no vhost 'orders'", BrokerRefusal.Describe(closed, s_address), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_VhostAccessRefusedToTheUser_NamesUserAndVhost()
    {
        var closed = new AggregateException(Closed(Constants.NotAllowed, "NOT_ALLOWED - access to vhost 'orders' refused for user 'app'"));

        Assert.StartsWith("user 'app' may not use vhost 'orders'", BrokerRefusal.Describe(closed, s_address), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Constants.NotAllowed, "NOT_ALLOWED - vhost orders is down")]
    [InlineData(Constants.NotAllowed, "NOT_ALLOWED - access to vhost 'orders' refused for user 'app': connection limit (10) is reached")]
    [InlineData(Constants.ConnectionForced, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'")]
    [InlineData(Constants.InternalError, "INTERNAL_ERROR")]
    public void Describe_PassingFaults_AreNoRefusal(ushort code, string text)
    {
        Assert.Null(BrokerRefusal.Describe(new BrokerUnreachableException(Closed(code, text)), s_address));
    }

    [Fact]
    public void Describe_UnreachableNodes_AreNoRefusal()
    {
        var unreachable = new BrokerUnreachableException(new AggregateException(new ConnectFailureException("Connection failed", new IOException())));

        Assert.Null(BrokerRefusal.Describe(unreachable, s_address));
    }

    private static AlreadyClosedException Closed(ushort code, string text) =>
        new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Peer, code, text));
}
