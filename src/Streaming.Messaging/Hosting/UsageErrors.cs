using System.CommandLine;

namespace Streaming.Messaging.Hosting;

/// <summary>Every usage or configuration mistake ends the same way: one line on stderr and exit code 2.</summary>
public static class UsageErrors
{
    public const int ExitCode = 2;

    /// <summary>True for --help or --version: the root command has no action of its own, so any action is one of those.</summary>
    public static bool IsHelpRequest(ParseResult result) =>
        result.Errors.Count == 0 && result.Action is not null;

    public static string? FirstError(ParseResult result) =>
        result.Errors.Count == 0 ? null : result.Errors[0].Message;

    public static int Report(string application, string message)
    {
        Console.Error.WriteLine($"{application}: {message} (see --help)");
        return ExitCode;
    }
}
