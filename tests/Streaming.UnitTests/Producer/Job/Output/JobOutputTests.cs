using System.Text;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Output;

namespace Streaming.UnitTests.Producer.Job.Output;

public sealed class JobOutputTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("job-output-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private JobFiles Files() => new(Path.Combine(_directory, "in.txt"), _directory);

    private static JobSummary Summary(long lines) =>
        new("in.txt", lines, 0, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0, 0, "trace", 0, 0, 0);

    private static async Task<JobOutput> WrittenAsync(JobFiles files, params string[] lines)
    {
        var output = JobOutput.Open(files, checkpoint: null);
        foreach (var line in lines)
        {
            output.WriteLine(Encoding.UTF8.GetBytes(line));
        }
        output.Commit();
        await Task.CompletedTask;
        return output;
    }

    [Fact]
    public async Task CompleteAsync_OutputAsWritten_RenamesItAndWritesTheSummary()
    {
        var files = Files();
        await using var output = await WrittenAsync(files, "a", "b");

        await output.CompleteAsync(Summary(2), lines: 2, CancellationToken.None);

        Assert.Equal("a\nb\n", File.ReadAllText(files.Output));
        Assert.True(File.Exists(files.Summary));
        Assert.False(File.Exists(JobFiles.Partial(files.Output)));
    }

    [Fact]
    public async Task CompleteAsync_AnotherWriterChangedTheLength_FailsWithoutCompleting()
    {
        var files = Files();
        await using var output = await WrittenAsync(files, "a", "b");
        await File.AppendAllTextAsync(JobFiles.Partial(files.Output), "c\n");     // a second owner's write

        var ex = await Assert.ThrowsAsync<OutputMismatchException>(
            () => output.CompleteAsync(Summary(2), lines: 2, CancellationToken.None));

        Assert.Contains("bytes", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(files.Output));
        Assert.False(File.Exists(files.Summary));
    }

    [Fact]
    public async Task CompleteAsync_SameLengthButOtherLines_FailsWithoutCompleting()
    {
        var files = Files();
        await using var output = await WrittenAsync(files, "a", "b");
        // A second owner that truncated the file and wrote from offset 0 again, leaving zeros where lines were.
        await using (var other = new FileStream(JobFiles.Partial(files.Output), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            await other.WriteAsync(new byte[] { 0, 0, 0, (byte)'\n' });
        }

        var ex = await Assert.ThrowsAsync<OutputMismatchException>(
            () => output.CompleteAsync(Summary(2), lines: 2, CancellationToken.None));

        Assert.Contains("lines", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(files.Output));
    }

    [Fact]
    public async Task Commit_NoLineFailed_CreatesNoErrorsFile()
    {
        var files = Files();
        await using var output = await WrittenAsync(files, "a", "b");

        output.Flush();

        Assert.False(File.Exists(JobFiles.Partial(files.Errors)));
        await output.CompleteAsync(Summary(2), lines: 2, CancellationToken.None);
        Assert.False(File.Exists(files.Errors));
    }

    [Fact]
    public async Task Commit_FirstFailedLine_CutsBackAnErrorsFileAnEarlierRunLeftPastItsCheckpoint()
    {
        var files = Files();
        await File.WriteAllTextAsync(JobFiles.Partial(files.Errors), "{\"line\":9,\"error\":\"from a run that crashed\"}\n");
        await using var output = JobOutput.Open(files, checkpoint: null);
        output.WriteLine("a"u8);
        output.Commit();
        Assert.Equal(0, output.ErrorsLength);

        output.WriteFailure(2, "bad"u8);
        output.Commit();
        await output.CompleteAsync(Summary(2), lines: 2, CancellationToken.None);

        var errors = File.ReadAllLines(files.Errors);
        Assert.Single(errors);
        Assert.Contains("bad", errors[0], StringComparison.Ordinal);
        Assert.Equal(new FileInfo(files.Errors).Length, output.ErrorsLength);
    }

    [Fact]
    public async Task Discard_BatchNotCommitted_LeavesTheFileAsItWas()
    {
        var files = Files();
        await using var output = await WrittenAsync(files, "a");
        output.WriteLine("half"u8);
        output.WriteFailure(2, "reason"u8);

        output.Discard();
        output.WriteLine("b"u8);
        output.Commit();
        await output.CompleteAsync(Summary(2), lines: 2, CancellationToken.None);

        Assert.Equal("a\nb\n", File.ReadAllText(files.Output));
        Assert.Equal(0, output.FailedLines);
        Assert.False(File.Exists(files.Errors));
    }

    [Fact]
    public void Open_OutputIsASymbolicLink_RefusesToWriteThroughIt()
    {
        var files = Files();
        var elsewhere = Path.Combine(_directory, "elsewhere.txt");
        File.WriteAllText(elsewhere, "precious");
        File.CreateSymbolicLink(JobFiles.Partial(files.Output), elsewhere);

        var ex = Assert.Throws<IOException>(() => JobOutput.Open(files, checkpoint: null));

        Assert.Contains("symbolic link", ex.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(elsewhere));
    }

    /// <summary>A rogue or old consumer's result line holding a line break would make the output one line too long, and
    /// the job fail at its end on every rerun: that line fails when it arrives, and the output completes.</summary>
    [Fact]
    public async Task Append_ResultLineHoldingALineBreak_FailsThatLineAndTheOutputCompletes()
    {
        var files = Files();
        await using var output = JobOutput.Open(files, checkpoint: null);
        using var writer = new MessageWriter();
        writer.WriteEntry(LineStatus.Ok, "a"u8);
        writer.WriteEntry(LineStatus.Ok, "b1\nb2"u8);
        writer.WriteEntry(LineStatus.Ok, "c"u8);
        var result = LineResult.Decode(
            writer.Complete(MessageKind.Result, new BatchHeader(Guid.NewGuid(), 0, 1, 3, 0, 3)).ToArray(), 1024);

        output.Append(result);
        output.Commit();
        await output.CompleteAsync(Summary(3), lines: 3, CancellationToken.None);

        Assert.Equal("a\n\nc\n", File.ReadAllText(files.Output));
        var error = Assert.Single(File.ReadAllLines(files.Errors));
        Assert.Contains("\"line\":2", error, StringComparison.Ordinal);
        Assert.Contains("line break", error, StringComparison.Ordinal);
    }
}
