using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Streaming.Messaging.Connection;

/// <summary>
/// Checks the broker's TLS certificate for amqps://: it must be issued for the node's host name and chain up to a
/// trusted authority (the system's, or <c>RabbitMq:CaCertificateFile</c>). Nothing else is accepted, whatever
/// RabbitMQ.Client's own defaults would allow. Remembers why it last refused one, for the error message.
/// </summary>
internal sealed class BrokerCertificateCheck(PrivateCertificateAuthority? privateAuthority)
{
    private volatile string? _lastRefusal;

    /// <summary>Why the last certificate was refused, or null.</summary>
    public string? LastRefusal => _lastRefusal;

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null
            && privateAuthority is not null && privateAuthority.Trusts(certificate, chain))
        {
            return true;
        }
        var host = (sender as SslStream)?.TargetHostName ?? "the broker";
        _lastRefusal = Explain(host, certificate, chain, errors);
        return false;
    }

    private static string Explain(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return $"TLS: {host} sent no certificate";
        }
        var problems = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            problems.Add($"it is not issued for the name '{host}'");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray() ?? [];
            problems.Add(status.Length == 0
                ? "its chain is not trusted (set RabbitMq:CaCertificateFile for a private CA)"
                : $"its chain is not trusted: {string.Join(", ", status)} (set RabbitMq:CaCertificateFile for a private CA)");
        }
        return $"TLS: refused the certificate of {host} ({certificate.Subject}): {string.Join("; ", problems)}";
    }
}
