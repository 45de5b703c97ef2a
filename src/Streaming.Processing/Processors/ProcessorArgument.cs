using System.Globalization;

namespace Streaming.Consumer.Processors;

/// <summary>Parses the numeric arguments of the built-in processors.</summary>
internal static class ProcessorArgument
{
    /// <summary>Accepts ASCII digits only (no sign, space, separator or exponent) within [min, max].</summary>
    public static bool TryParseWholeNumber(string? argument, int min, int max, out int value) =>
        int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out value)
        && value >= min
        && value <= max;
}
