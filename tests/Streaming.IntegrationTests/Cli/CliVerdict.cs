namespace Streaming.IntegrationTests.Cli;

/// <summary>The rule every command line must keep: exit 2 with exactly one line on stderr and no stack trace, or work.</summary>
internal static class CliVerdict
{
    /// <summary>Null when the outcome keeps the rule; else what is wrong. <paramref name="worked"/> are the exit codes
    /// that mean the command got past its checks: help, a service stopped cleanly, a publish stopped (in process) or
    /// told the dead broker could not be reached (a real process).</summary>
    public static string? Problem(CliOutcome outcome, IReadOnlyCollection<int> worked)
    {
        if (outcome.Failure is { } failure)
        {
            return failure;
        }
        var stderr = outcome.StandardError;
        if (stderr.Contains("   at ", StringComparison.Ordinal) || stderr.Contains("Exception", StringComparison.Ordinal))
        {
            return $"exit {outcome.ExitCode} with an exception on stderr";
        }
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (outcome.ExitCode == 2)
        {
            return lines.Length == 1 ? null : $"exit 2 with {lines.Length} lines on stderr";
        }
        return outcome.ExitCode is { } code && worked.Contains(code) ? null : $"exit {outcome.ExitCode}";
    }
}
