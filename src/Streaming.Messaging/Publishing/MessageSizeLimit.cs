using System.Globalization;
using System.Text.RegularExpressions;

namespace Streaming.Messaging.Publishing;

/// <summary>Reads the broker's message size limit from the reason it gives for closing a channel over a message
/// that passed it: "PRECONDITION_FAILED - message size 20700052 is larger than configured max size 16777216".</summary>
internal static partial class MessageSizeLimit
{
    public static bool TryParse(string? closeReason, out int maxMessageBytes)
    {
        var match = closeReason is null ? Match.Empty : ConfiguredMaxSize().Match(closeReason);
        if (match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out maxMessageBytes)
            && maxMessageBytes > 0)
        {
            return true;
        }
        maxMessageBytes = 0;
        return false;
    }

    [GeneratedRegex(@"larger than configured max size (\d{1,10})", RegexOptions.CultureInvariant)]
    private static partial Regex ConfiguredMaxSize();
}
