namespace Streaming.Messaging.Connection;

/// <summary>Hides the password of a broker URI before it reaches a log or an error message.</summary>
public static class UriMasking
{
    public static string Mask(string uri)
    {
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return uri;
        }
        var authorityStart = schemeEnd + 3;
        var at = uri.IndexOf('@', authorityStart);
        var slash = uri.IndexOf('/', authorityStart);
        if (at < 0 || (slash >= 0 && slash < at))
        {
            return uri;
        }
        var colon = uri.IndexOf(':', authorityStart);
        if (colon < 0 || colon > at)
        {
            return uri;
        }
        return string.Concat(uri.AsSpan(0, colon + 1), "***", uri.AsSpan(at));
    }

    public static string Mask(Uri uri) => Mask(uri.OriginalString);
}
