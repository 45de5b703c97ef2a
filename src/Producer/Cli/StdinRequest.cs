using Streaming.Producer.Job.Stdin;

namespace Streaming.Producer.Cli;

/// <summary><c>publish - --wait</c>: how the results of standard input are written.</summary>
/// <param name="Format">Standard output's format (<c>--stdout-format</c>).</param>
/// <param name="ErrorsPath">Where the failed lines are listed (<c>--errors</c>), or null for standard error.</param>
internal sealed record StdinRequest(StdoutFormat Format, string? ErrorsPath)
{
    /// <summary>The file argument that means standard input.</summary>
    public const string Dash = "-";
}
