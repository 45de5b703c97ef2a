namespace Streaming.IntegrationTests.Infrastructure;

internal static class AmqpUris
{
    /// <summary>The same broker, credentials and query, with <paramref name="vhost"/> as the path.</summary>
    public static Uri WithVhost(Uri uri, string vhost) =>
        new($"{uri.GetLeftPart(UriPartial.Authority)}/{Uri.EscapeDataString(vhost)}{uri.Query}");

    /// <summary>The user name and password in the URI, or RabbitMQ's defaults.</summary>
    public static (string User, string Password) Credentials(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo))
        {
            return ("guest", "guest");
        }
        var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
        return colon < 0
            ? (Uri.UnescapeDataString(uri.UserInfo), "")
            : (Uri.UnescapeDataString(uri.UserInfo[..colon]), Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]));
    }
}
