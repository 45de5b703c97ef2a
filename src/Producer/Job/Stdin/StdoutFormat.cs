namespace Streaming.Producer.Job.Stdin;

/// <summary>How <c>publish - --wait</c> writes its results on standard output (<c>--stdout-format</c>).</summary>
internal enum StdoutFormat
{
    /// <summary>One line per input line: the result, or an empty line for a failed line (listed on stderr, or in the
    /// <c>--errors</c> file, as JSON lines).</summary>
    Plain,

    /// <summary>One line per input line: <c>+</c> and the result, or <c>!</c> and why the line failed.</summary>
    Tagged,
}

internal static class StdoutFormats
{
    public const string Choices = "plain or tagged";

    public static bool TryParse(string? value, out StdoutFormat format)
    {
        switch (value)
        {
            case null or "plain":
                format = StdoutFormat.Plain;
                return true;
            case "tagged":
                format = StdoutFormat.Tagged;
                return true;
            default:
                format = default;
                return false;
        }
    }
}
