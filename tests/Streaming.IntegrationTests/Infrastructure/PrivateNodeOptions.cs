namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>What a <see cref="PrivateRabbitMqNode"/> gets beyond the defaults.</summary>
internal sealed class PrivateNodeOptions
{
    /// <summary>A TLS listener on a port of its own, with these files (PEM).</summary>
    public TlsFiles? Tls { get; init; }

    /// <summary>Lines appended to the node's rabbitmq.conf.</summary>
    public string ExtraConfig { get; init; } = "";
}

/// <summary>A server certificate, its key and the CA that signed it, as PEM files.</summary>
internal sealed record TlsFiles(string CaCertificatePath, string CertificatePath, string KeyPath);
