using System.Text;

namespace Streaming.Messaging.Connection;

/// <summary>Hides the passwords of broker URIs before they reach a log or an error message.</summary>
internal static class UriMasking
{
    private const string Hidden = "***";

    /// <summary>Masks the password of every <c>scheme://user:password@</c> in <paramref name="text"/>: a list of URIs,
    /// or a message that quotes some.</summary>
    public static string Mask(string text)
    {
        var result = new StringBuilder(text.Length);
        var position = 0;
        while (text.IndexOf("://", position, StringComparison.Ordinal) is var schemeEnd and >= 0)
        {
            var authority = schemeEnd + 3;
            var end = text.IndexOfAny([',', ' ', '\t', '\n', '\r'], authority) is var stop and >= 0 ? stop : text.Length;
            var at = end > authority ? text.LastIndexOf('@', end - 1, end - authority) : -1;
            var colon = at > authority ? text.IndexOf(':', authority, at - authority) : -1;
            if (colon >= 0)
            {
                result.Append(text, position, colon + 1 - position).Append(Hidden);
                position = at;
            }
            else
            {
                result.Append(text, position, authority - position);
                position = authority;
            }
        }
        return result.Append(text, position, text.Length - position).ToString();
    }

    public static string Mask(Uri uri) => Mask(uri.OriginalString);

    /// <summary>Masks one URI of a list, however malformed: everything between the first ':' after the scheme and the
    /// last '@' is hidden, so a password with characters a URI does not allow cannot show through either.</summary>
    internal static string MaskOne(string uri)
    {
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        var authority = schemeEnd < 0 ? 0 : schemeEnd + 3;
        var at = uri.LastIndexOf('@');
        if (at <= authority)
        {
            return uri;
        }
        var colon = uri.IndexOf(':', authority, at - authority);
        return colon < 0 ? uri : string.Concat(uri.AsSpan(0, colon + 1), Hidden, uri.AsSpan(at));
    }
}
