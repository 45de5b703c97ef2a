namespace Streaming.IntegrationTests.Cli;

/// <summary>One command line for one executable (<c>Producer</c> or <c>Consumer</c>), with the environment variables
/// set for it.</summary>
public sealed record CliCase(string Executable, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string?> Environment)
{
    public bool IsProducer => Executable == "Producer";

    public bool IsPublish => IsProducer && Arguments.Count > 0 && Arguments[0] == "publish";

    public override string ToString() =>
        $"{Executable} {string.Join(' ', Arguments.Select(Quote))}"
        + string.Concat(Environment.Where(e => e.Key != CliFuzzValues.UriVariable || e.Value != null).Select(e => $" [{e.Key}={Quote(e.Value ?? "")}]"));

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '@' or ',')
            ? value
            : $"'{string.Concat(value.Select(c => char.IsControl(c) || c > '\u007e' ? $"\\u{(int)c:x4}" : c.ToString()))}'";
}

/// <summary>How a run ended: its exit code (null when it threw or did not end) and what it wrote.</summary>
public sealed record CliOutcome(int? ExitCode, string StandardOutput, string StandardError, string? Failure);
