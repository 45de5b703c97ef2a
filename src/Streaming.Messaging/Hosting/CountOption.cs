using System.CommandLine;
using System.Globalization;

namespace Streaming.Messaging.Hosting;

/// <summary>A numeric flag that takes a whole number from 1 to a maximum (digits only: no sign, point or space).</summary>
internal static class CountOption
{
    /// <summary>Copies the flag's value, when given, to <paramref name="overrides"/> under <paramref name="key"/>;
    /// false with a one-line error when it is not a whole number in range.</summary>
    public static bool TryAdd(
        ParseResult result, Option<string> option, int max, string key, IDictionary<string, string?> overrides, out string? error)
    {
        error = null;
        if (result.GetValue(option) is not { } text)
        {
            return true;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1 || value > max)
        {
            error = $"{option.Name} takes a whole number from 1 to {max}, got '{text}'";
            return false;
        }
        overrides[key] = value.ToString(CultureInfo.InvariantCulture);
        return true;
    }
}
