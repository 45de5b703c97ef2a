using System.CommandLine;
using System.Globalization;
using System.Text;

namespace Streaming.Messaging.Hosting;

/// <summary>Every usage or configuration mistake ends the same way: one line on stderr and exit code 2.</summary>
internal static class UsageErrors
{
    public const int ExitCode = 2;

    /// <summary>True for --help or --version: the root command has no action of its own, so any action is one of those.</summary>
    public static bool IsHelpRequest(ParseResult result) =>
        result.Errors.Count == 0 && result.Action is not null;

    public static string? FirstError(ParseResult result) =>
        result.Errors.Count == 0 ? null : result.Errors[0].Message;

    public static int Report(string application, string message)
    {
        Console.Error.WriteLine($"{application}: {Printable(message)} (see --help)");
        return ExitCode;
    }

    /// <summary>The text on one line: control characters a value brought in (a newline, a tab, a NUL) are shown as
    /// <c>\uXXXX</c> escapes.</summary>
    public static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
