namespace Streaming.Messaging.Connection;

/// <summary>
/// The broker as <c>RabbitMq:Uri</c> (<c>--rabbitmq</c>) names it: one amqp:// or amqps:// URI, or a comma-separated
/// list of the nodes of one cluster, which share the scheme, user, password and vhost. The client connects to the
/// first node that answers, in the order given, and recovers to any of them.
/// </summary>
internal sealed class BrokerAddress
{
    internal BrokerAddress(IReadOnlyList<BrokerNode> nodes, bool useTls, string userName, string password, string virtualHost, string masked)
    {
        Nodes = nodes;
        UseTls = useTls;
        UserName = userName;
        Password = password;
        VirtualHost = virtualHost;
        Masked = masked;
    }

    /// <summary>The nodes, in the order given.</summary>
    public IReadOnlyList<BrokerNode> Nodes { get; }

    /// <summary>amqps://: TLS with the broker's certificate chain and host name checked.</summary>
    public bool UseTls { get; }

    public string UserName { get; }

    public string Password { get; }

    public string VirtualHost { get; }

    /// <summary>The option as given with every password replaced by <c>***</c>: what logs and messages show.</summary>
    public string Masked { get; }

    /// <summary>Parses the option; null with a one-line reason (passwords masked) when it is not a valid list.</summary>
    public static BrokerAddress? TryParse(string? text, out string? error) => BrokerAddressParser.TryParse(text, null, out error);

    public override string ToString() => Masked;
}

/// <summary>One node of the broker; <see cref="Port"/> is -1 for the scheme's default (5672, or 5671 for amqps).</summary>
internal sealed record BrokerNode(string Host, int Port);
