using System.Text.RegularExpressions;

namespace Streaming.Messaging.Connection;

/// <summary>
/// Reads <c>RabbitMq:Uri</c> the way RabbitMQ.Client's URI setter does (user info, one path segment as the vhost,
/// defaults guest/guest and <c>/</c>), but reports every mistake as a reason instead of an exception, and checks
/// that the URIs of a list belong to one cluster. A URI that names a user and no password takes the configured one
/// (<see cref="BrokerPassword"/>), so the command line need not carry it.
/// </summary>
internal static partial class BrokerAddressParser
{
    private const string DefaultUser = "guest";
    private const string DefaultPassword = "guest";
    private const string DefaultVirtualHost = "/";

    /// <param name="password">The configured password, for the URIs that name a user and no password.</param>
    public static BrokerAddress? TryParse(string? text, string? password, out string? error)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the broker URI (--rabbitmq, RabbitMq:Uri) is empty";
            return null;
        }
        var pieces = text.Split(',').Select(p => p.Trim()).ToArray();
        var masked = string.Join(",", pieces.Select(UriMasking.MaskOne));
        var uris = new List<ParsedUri>(pieces.Length);
        for (var i = 0; i < pieces.Length; i++)
        {
            if (TryParseOne(pieces[i], password, out var reason) is not { } uri)
            {
                var which = pieces.Length == 1 ? "the broker URI" : $"broker URI {i + 1} of {pieces.Length}";
                error = $"{which} '{UriMasking.MaskOne(pieces[i])}' {reason}";
                return null;
            }
            uris.Add(uri);
        }
        var first = uris[0];
        for (var i = 1; i < uris.Count; i++)
        {
            if (Difference(first, uris[i]) is { } difference)
            {
                error = $"the broker URIs name the nodes of one cluster and must share scheme, user, password and vhost: URI {i + 1} has {difference} than URI 1 ('{masked}')";
                return null;
            }
        }
        error = null;
        return new BrokerAddress(
            uris.Select(u => new BrokerNode(u.Host, u.Port)).ToArray(), first.UseTls, first.UserName, first.Password, first.VirtualHost, masked);
    }

    private static ParsedUri? TryParseOne(string text, string? password, out string? reason)
    {
        reason = null;
        if (text.Length == 0)
        {
            reason = "is empty (two commas in a row, or one at an end?)";
            return null;
        }
        if (BadEscape().IsMatch(text))
        {
            reason = "has a '%' that does not start a %XX escape (write a '%' as %25)";
            return null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !text.Contains("://", StringComparison.Ordinal))
        {
            reason = "is not a URI (amqp://user:password@host:port/vhost)";
            return null;
        }
        if (uri.Scheme is not ("amqp" or "amqps"))
        {
            reason = "is not an amqp:// or amqps:// URI";
            return null;
        }
        if (!TryGetHost(uri, out var host))
        {
            reason = "has a host that is neither a valid name nor an IP address";
            return null;
        }
        if (host.Length == 0)
        {
            reason = "names no host";
            return null;
        }
        if (uri.Port == 0)
        {
            reason = "has port 0; a node's port is 1 to 65535 (or left out: 5672, 5671 for amqps)";
            return null;
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            reason = "has a query or fragment ('?…', '#…'), which is not read: set RabbitMq:HeartbeatSeconds and the other RabbitMq options instead";
            return null;
        }
        var userInfo = uri.UserInfo.Split(':');
        if (userInfo.Length > 2)
        {
            reason = "has more than one ':' before its '@' (write a ':' inside the user or password as %3A)";
            return null;
        }
        var path = uri.AbsolutePath.Length > 0 ? uri.AbsolutePath[1..] : "";
        if (path.Contains('/', StringComparison.Ordinal))
        {
            reason = "has more than one path segment: the vhost is one segment (write a '/' inside it as %2F)";
            return null;
        }
        if (password is not null && uri.UserInfo.Length == 0)
        {
            reason = "names no user for the password of RabbitMq:Password or RabbitMq:PasswordFile (amqp://user@host/vhost)";
            return null;
        }
        reason = null;
        return new ParsedUri(
            host,
            uri.Port,
            uri.Scheme == "amqps",
            uri.UserInfo.Length == 0 ? DefaultUser : Uri.UnescapeDataString(userInfo[0]),
            userInfo.Length == 2 ? Uri.UnescapeDataString(userInfo[1]) : password ?? DefaultPassword,
            path.Length == 0 ? DefaultVirtualHost : Uri.UnescapeDataString(path));
    }

    /// <summary><see cref="Uri.TryCreate(string?, UriKind, out Uri?)"/> accepts some hosts (a non-ASCII digit in an
    /// IPv4-looking name) that <see cref="Uri.IdnHost"/> then throws on.</summary>
    private static bool TryGetHost(Uri uri, out string host)
    {
        try
        {
            host = uri.IdnHost;
            return true;
        }
        catch (UriFormatException)
        {
            host = "";
            return false;
        }
    }

    private static string? Difference(ParsedUri first, ParsedUri other) =>
        first.UseTls != other.UseTls ? "another scheme"
        : !string.Equals(first.UserName, other.UserName, StringComparison.Ordinal) ? "another user"
        : !string.Equals(first.Password, other.Password, StringComparison.Ordinal) ? "another password"
        : !string.Equals(first.VirtualHost, other.VirtualHost, StringComparison.Ordinal) ? "another vhost"
        : null;

    [GeneratedRegex("%(?![0-9A-Fa-f]{2})")]
    private static partial Regex BadEscape();

    private sealed record ParsedUri(string Host, int Port, bool UseTls, string UserName, string Password, string VirtualHost);
}
