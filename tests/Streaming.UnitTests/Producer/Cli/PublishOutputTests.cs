using System.Text.Json;
using Streaming.Producer.Cli;
using Streaming.Producer.Job;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Output;

namespace Streaming.UnitTests.Producer.Cli;

/// <summary>What <c>publish</c> prints of a file's name or a line's reason reaches a terminal: escape sequences in them
/// must show as text, not act.</summary>
public sealed class PublishOutputTests : IDisposable
{
    private const string Hostile = "\u001b]0;owned\u0007\u001b[2J\rname";

    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-publish-output-").FullName;

    [Fact]
    public void Report_NameAndReasonsWithControlCharacters_PrintsThemEscaped()
    {
        var files = new JobFiles(Path.Combine(_directory, Hostile + ".txt"), _directory);
        File.WriteAllText(files.Errors, JsonSerializer.Serialize(new LineError(7, "worker said \u001b[31mred\u001b[0m ünïcødé"), ProducerJsonContext.Default.LineError) + "\n");
        var summary = new JobSummary(files.Name, 10, 1, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1000, 10, "trace", 0, 0, 0);
        using var output = new StringWriter { NewLine = "\n" };

        PublishCommand.Report(new JobResult(files, summary), output);

        var lines = output.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.DoesNotContain(line, char.IsControl));
        Assert.StartsWith("\\u001b]0;owned\\u0007\\u001b[2J\\u000dname.txt: 10 lines", lines[0], StringComparison.Ordinal);
        Assert.Equal("  line 7: worker said \\u001b[31mred\\u001b[0m ünïcødé", lines[2]);
    }

    [Fact]
    public void Describe_NameWithControlCharacters_IsOnePrintableLine()
    {
        var progress = new JobProgress(Hostile, true, false, 5, 0, 50, 100, 0, TimeSpan.FromSeconds(1));

        var text = progress.Describe();

        Assert.DoesNotContain(text, char.IsControl);
        Assert.StartsWith("\\u001b]0;owned\\u0007\\u001b[2J\\u000dname: 5 of ~10 lines", text, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
