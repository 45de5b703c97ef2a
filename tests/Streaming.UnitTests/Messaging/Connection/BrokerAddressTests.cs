using Streaming.Messaging.Connection;

namespace Streaming.UnitTests.Messaging.Connection;

public sealed class BrokerAddressTests
{
    [Fact]
    public void TryParse_OneUri_ReadsNodeCredentialsAndVhost()
    {
        var address = BrokerAddress.TryParse("amqp://user:p%40ss@rabbit.example:5673/my%2Fvhost", out var error);

        Assert.True(address is not null, error);
        Assert.Equal([new BrokerNode("rabbit.example", 5673)], address.Nodes);
        Assert.False(address.UseTls);
        Assert.Equal("user", address.UserName);
        Assert.Equal("p@ss", address.Password);
        Assert.Equal("my/vhost", address.VirtualHost);
        Assert.Equal("amqp://user:***@rabbit.example:5673/my%2Fvhost", address.Masked);
    }

    [Theory]
    [InlineData("amqp://localhost", "guest", "guest", "/", -1)]
    [InlineData("amqp://localhost/", "guest", "guest", "/", -1)]
    [InlineData("amqp://bob@localhost:5672/", "bob", "guest", "/", 5672)]
    [InlineData("amqps://u:p@localhost/v", "u", "p", "v", -1)]
    [InlineData("AMQP://u:p@LOCALHOST/My%20Vhost", "u", "p", "My Vhost", -1)]
    public void TryParse_ClientDefaults_MatchRabbitMqClient(string uri, string user, string password, string vhost, int port)
    {
        var address = BrokerAddress.TryParse(uri, out var error);

        Assert.True(address is not null, error);
        Assert.Equal(user, address.UserName);
        Assert.Equal(password, address.Password);
        Assert.Equal(vhost, address.VirtualHost);
        Assert.Equal(port, address.Nodes[0].Port);
    }

    [Fact]
    public void TryParse_IPv6Host_GivesTheAddressWithoutBrackets()
    {
        var address = BrokerAddress.TryParse("amqp://[::1]:5672/", out _);

        Assert.Equal("::1", address!.Nodes[0].Host);
    }

    [Fact]
    public void TryParse_ListOfNodes_KeepsTheirOrderAndSharedCredentials()
    {
        var address = BrokerAddress.TryParse(
            "amqps://u:pw@n1:5671/v, amqps://u:pw@n2:5671/v ,amqps://u:pw@n3/v", out var error);

        Assert.True(address is not null, error);
        Assert.Equal([new BrokerNode("n1", 5671), new BrokerNode("n2", 5671), new BrokerNode("n3", -1)], address.Nodes);
        Assert.True(address.UseTls);
        Assert.Equal("v", address.VirtualHost);
        Assert.Equal("amqps://u:***@n1:5671/v,amqps://u:***@n2:5671/v,amqps://u:***@n3/v", address.Masked);
    }

    [Theory]
    [InlineData("amqp://u:p@n1/v,amqps://u:p@n2/v", "another scheme")]
    [InlineData("amqp://u:p@n1/v,amqp://w:p@n2/v", "another user")]
    [InlineData("amqp://u:p@n1/v,amqp://u:q@n2/v", "another password")]
    [InlineData("amqp://u:p@n1/v,amqp://u:p@n2/w", "another vhost")]
    [InlineData("amqp://u:p@n1/,amqp://u:p@n2/,amqp://u:p@n3/other", "URI 3 has another vhost")]
    [InlineData("amqp://n1/,amqp://guest:other@n2/", "another password")]
    public void TryParse_NodesThatDiffer_SaysWhichDiffers(string uri, string expected)
    {
        var address = BrokerAddress.TryParse(uri, out var error);

        Assert.Null(address);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain(":p@", error, StringComparison.Ordinal);
        Assert.DoesNotContain(":q@", error, StringComparison.Ordinal);
        Assert.DoesNotContain(":other@", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData("amqp://guest:guest@127.0.0.1:5672/a/b", "more than one path segment")]
    [InlineData("amqp://guest:guest@127.0.0.1:5672/%zz/q", "%XX escape")]
    [InlineData("amqp://guest:guest@127.0.0.1:5672/%zz", "%XX escape")]
    [InlineData("amqp://guest:guest@127.0.0.1:5672/v/", "more than one path segment")]
    [InlineData("amqp://guest:guest@127.0.0.1:0/", "port 0")]
    [InlineData("amqp://guest:guest@127.0.0.1:70000/", "is not a URI")]
    [InlineData("amqp://guest:guest@127.0.0.\u06fc1:5672/", "neither a valid name nor an IP address")]
    [InlineData("amqp://h:/", "names no host")]
    [InlineData("amqp:///vhost", "names no host")]
    [InlineData("amqp:h", "is not a URI")]
    [InlineData("http://h/", "is not an amqp:// or amqps:// URI")]
    [InlineData("not a uri", "is not a URI")]
    [InlineData("amqp://u:p:q@h/", "more than one ':'")]
    [InlineData("amqp://h/?heartbeat=5", "query or fragment")]
    [InlineData("amqp://h/#x", "query or fragment")]
    [InlineData("amqp://u:p@h/,", "broker URI 2 of 2 '' is empty")]
    [InlineData(",amqp://u:p@h/", "broker URI 1 of 2 '' is empty")]
    [InlineData("amqp://u:p@h/,amqp://u:p@h:0/", "broker URI 2 of 2 'amqp://u:***@h:0/' has port 0")]
    [InlineData("amqp://u:p@h/,amqp://u:p@h/x/y,amqp://u:p@h/", "broker URI 2 of 3")]
    public void TryParse_Malformed_GivesOneLineReasonWithoutThePassword(string uri, string expected)
    {
        var address = BrokerAddress.TryParse(uri, out var error);

        Assert.Null(address);
        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.DoesNotContain("guest:guest", error, StringComparison.Ordinal);
        Assert.DoesNotContain("u:p@", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("amqp://u:s3cr3t@h/,amqp://u:s3cr3t@h:0/")]
    [InlineData("amqp://u:s3cr3t@h/,amqp://u:s3cr3t pw@h/")]
    [InlineData("amqp://u:s3cr3t@@h/")]
    [InlineData("amqp://u:s3cr3t/x@h/")]
    [InlineData("amqp://u:s3cr3t@h/%zz")]
    public void TryParse_MalformedWithAPassword_NeverShowsIt(string uri)
    {
        BrokerAddress.TryParse(uri, out var error);

        Assert.NotNull(error);
        Assert.DoesNotContain("s3cr3t", error, StringComparison.Ordinal);
    }
}
