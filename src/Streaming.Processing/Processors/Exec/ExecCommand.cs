namespace Streaming.Consumer.Processors.Exec;

/// <summary>An <c>exec:</c> command: the program (found on <c>PATH</c> when its name has no '/') and its arguments.</summary>
internal sealed class ExecCommand
{
    private ExecCommand(string text, string program, IReadOnlyList<string> arguments)
    {
        Text = text;
        Program = program;
        Arguments = arguments;
    }

    /// <summary>The command line as configured, for messages.</summary>
    public string Text { get; }

    /// <summary>The program's path.</summary>
    public string Program { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Splits and resolves a command line; null with a one-line reason when it cannot run.</summary>
    public static ExecCommand? TryCreate(string commandLine, out string? error)
    {
        var words = CommandWords.TrySplit(commandLine, out error);
        if (words is null)
        {
            return null;
        }
        var program = words[0].Contains('/', StringComparison.Ordinal) ? Path.GetFullPath(words[0]) : FindOnPath(words[0]);
        if (program is null)
        {
            error = $"'{words[0]}' was not found on PATH";
            return null;
        }
        if (Directory.Exists(program) || !File.Exists(program))
        {
            error = $"'{words[0]}' is not a file";
            return null;
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(program) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            error = $"'{words[0]}' is not executable";
            return null;
        }
        return new ExecCommand(commandLine, program, words[1..]);
    }

    private static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)
                && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }
        return null;
    }
}
