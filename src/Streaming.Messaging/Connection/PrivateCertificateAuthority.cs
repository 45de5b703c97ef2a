using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Streaming.Messaging.Connection;

/// <summary>
/// One extra certificate authority (a PEM file) for the broker's TLS certificate: a chain the system does not trust is
/// built again with that CA as a custom root (<see cref="BrokerCertificateCheck"/> decides the rest).
/// </summary>
internal sealed class PrivateCertificateAuthority
{
    private readonly X509Certificate2Collection _roots;

    private PrivateCertificateAuthority(X509Certificate2Collection roots) => _roots = roots;

    /// <summary>Loads the PEM file; null with a one-line reason when it is missing, unreadable or holds no
    /// certificate.</summary>
    public static PrivateCertificateAuthority? TryLoad(string pemPath, out string? error)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(pemPath);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = ex is FileNotFoundException or DirectoryNotFoundException
                ? $"RabbitMq:CaCertificateFile '{pemPath}' does not exist"
                : $"RabbitMq:CaCertificateFile '{pemPath}' cannot be read as PEM certificates: {ex.Message}";
            return null;
        }
        if (roots.Count == 0)
        {
            error = $"RabbitMq:CaCertificateFile '{pemPath}' holds no PEM certificate";
            return null;
        }
        error = null;
        return new PrivateCertificateAuthority(roots);
    }

    /// <summary>True when <paramref name="certificate"/> chains up to this authority (the system's trust store aside).</summary>
    public bool Trusts(X509Certificate certificate, X509Chain? chain)
    {
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements.Skip(1))
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}
