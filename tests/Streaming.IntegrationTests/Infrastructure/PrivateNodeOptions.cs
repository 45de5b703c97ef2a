namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>What a <see cref="PrivateRabbitMqNode"/> gets beyond the defaults.</summary>
internal sealed class PrivateNodeOptions
{
    /// <summary>A TLS listener on a port of its own, with these files (PEM).</summary>
    public TlsFiles? Tls { get; init; }

    /// <summary>Lines appended to the node's rabbitmq.conf.</summary>
    public string ExtraConfig { get; init; } = "";

    /// <summary>A cluster member's own network namespace and address instead of 127.0.0.1 and free ports.</summary>
    public NodePlacement? Placement { get; init; }
}

/// <summary>A server certificate, its key and the CA that signed it, as PEM files.</summary>
internal sealed record TlsFiles(string CaCertificatePath, string CertificatePath, string KeyPath);

/// <summary>
/// A node inside network namespace <paramref name="NetworkNamespace"/> (the server and its CLI run there through
/// <c>ip netns exec</c>), listening on <paramref name="Address"/> with the standard ports (the namespace is its own),
/// named <paramref name="NodeName"/> (a long name, <c>r@address</c>), with <paramref name="ErlangCookie"/>, which the
/// cluster's nodes share.
/// </summary>
internal sealed record NodePlacement(string NodeName, string NetworkNamespace, string Address, string ErlangCookie)
{
    public const int AmqpPort = 5672;
    public const int DistributionPort = 25672;
}
