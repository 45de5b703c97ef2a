using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Streaming.Messaging.Connection;

/// <summary>
/// Trusts one extra certificate authority (a PEM file) for the broker's TLS certificate: the chain is built again with
/// that CA as a custom root. Name mismatches and every other policy error still fail; nothing is switched off.
/// </summary>
internal sealed class PrivateCertificateAuthority
{
    private readonly X509Certificate2Collection _roots;

    private PrivateCertificateAuthority(X509Certificate2Collection roots) => _roots = roots;

    public static PrivateCertificateAuthority Load(string pemPath)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(pemPath);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"RabbitMq:CaCertificateFile '{pemPath}' holds no PEM certificate: {ex.Message}", ex);
        }
        return roots.Count > 0
            ? new PrivateCertificateAuthority(roots)
            : throw new ArgumentException($"RabbitMq:CaCertificateFile '{pemPath}' holds no PEM certificate");
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;    // trusted by the system already
        }
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;   // no certificate, or a name mismatch: never accepted
        }
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
