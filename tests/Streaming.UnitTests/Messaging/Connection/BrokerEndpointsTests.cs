using System.Net.Security;
using RabbitMQ.Client;
using Streaming.Messaging.Connection;

namespace Streaming.UnitTests.Messaging.Connection;

public sealed class BrokerEndpointsTests
{
    [Fact]
    public void Create_Amqps_EveryNodeChecksItsOwnNameAndAcceptsNoPolicyError()
    {
        var address = BrokerAddress.TryParse("amqps://u:p@n1:5671/,amqps://u:p@n2/", out _)!;

        var endpoints = BrokerEndpoints.Create(address, validate: null);

        Assert.Collection(endpoints,
            e => AssertStrictTls(e, "n1", 5671),
            e => AssertStrictTls(e, "n2", AmqpTcpEndpoint.DefaultAmqpSslPort));
    }

    [Fact]
    public void Create_Amqp_NoTls()
    {
        var address = BrokerAddress.TryParse("amqp://n1,amqp://n2:5673", out _)!;

        var endpoints = BrokerEndpoints.Create(address, validate: null);

        Assert.All(endpoints, e => Assert.False(e.Ssl.Enabled));
        Assert.Equal([5672, 5673], endpoints.Select(e => e.Port));
    }

    [Fact]
    public void InOrder_ListOfNodes_TriesThemInTheOrderGiven()
    {
        var endpoints = BrokerEndpoints.Create(BrokerAddress.TryParse("amqp://n3,amqp://n1,amqp://n2", out _)!, null);

        var resolver = BrokerEndpoints.InOrder(endpoints);

        Assert.Equal(["n3", "n1", "n2"], resolver.All().Select(e => e.HostName));
    }

    private static void AssertStrictTls(AmqpTcpEndpoint endpoint, string host, int port)
    {
        Assert.Equal(host, endpoint.HostName);
        Assert.Equal(port, endpoint.Port);
        Assert.True(endpoint.Ssl.Enabled);
        Assert.Equal(host, endpoint.Ssl.ServerName);
        Assert.Equal(SslPolicyErrors.None, endpoint.Ssl.AcceptablePolicyErrors);
    }

    [Fact]
    public void InOrder_ConnectionLostFromANode_TriesThatNodeLastFromThenOn()
    {
        var endpoints = BrokerEndpoints.Create(BrokerAddress.TryParse("amqp://n1,amqp://n2,amqp://n3", out _)!, null);
        var resolver = BrokerEndpoints.InOrder(endpoints);

        resolver.Lost(new AmqpTcpEndpoint("N1", 5672));
        var afterFirst = resolver.All().Select(e => e.HostName).ToList();
        resolver.Lost(new AmqpTcpEndpoint("n2", 5672));

        Assert.Equal(["n2", "n3", "n1"], afterFirst);
        Assert.Equal(["n1", "n3", "n2"], resolver.All().Select(e => e.HostName));
    }
}
