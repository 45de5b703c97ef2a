using System.Text.Json;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Redrive;

namespace Streaming.UnitTests.Producer.Job.Redrive;

/// <summary>What <c>redrive</c> settles before the broker (<see cref="RedriveCheck"/>), and its commit done again after a
/// crash (<see cref="RedriveJob.CommitAsync"/>), on files in a temporary folder.</summary>
public sealed class RedriveCheckTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("redrive-check-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Input => Path.Combine(_directory, "in.txt");

    private JobFiles Files => new(Input, _directory);

    [Fact]
    public void Plan_CompletedRunWithFailedLines_RunsThem()
    {
        CompletedRun(failed: [2, 3]);

        var plan = RedriveCheck.Plan(Input, _directory, errorsSource: null);

        Assert.Equal(RedriveStep.Run, plan.Step);
        Assert.Equal(2, plan.Lines);
    }

    [Fact]
    public void Plan_InputWithOtherBytesOfTheSameLengthAndTime_IsRefused()
    {
        CompletedRun(failed: [2]);
        var time = File.GetLastWriteTimeUtc(Input);
        File.WriteAllText(Input, "a\nB\nc\n");
        File.SetLastWriteTimeUtc(Input, time);

        var plan = RedriveCheck.Plan(Input, _directory, errorsSource: null);

        Assert.Equal(RedriveStep.Refused, plan.Step);
        Assert.Contains("is not the input the run recorded", plan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_NoFailedLineAndNoErrorsFile_HasNothingToDo()
    {
        CompletedRun(failed: []);

        Assert.Equal(RedriveStep.Nothing, RedriveCheck.Plan(Input, _directory, errorsSource: null).Step);
    }

    [Theory]
    [InlineData("checkpoint", "the run of 'in.txt' is not complete")]
    [InlineData("summary", "is missing or unreadable")]
    [InlineData("fingerprint", "records no fingerprint")]
    [InlineData("errors", "errors.jsonl' does not exist")]
    [InlineData("past the end", "lists line 9, but 'in.txt' has 3 lines")]
    [InlineData("output", "no output of 'in.txt'")]
    public void Plan_NoCompletedRunOrABadList_IsRefused(string damage, string expected)
    {
        CompletedRun(failed: [2]);
        switch (damage)
        {
            case "checkpoint":
                File.WriteAllText(Files.Checkpoint, "{}");
                break;
            case "summary":
                File.Delete(Files.Summary);
                break;
            case "fingerprint":
                WriteSummary(failed: 1, fingerprint: null);
                break;
            case "errors":
                File.Delete(Files.Errors);
                break;
            case "past the end":
                File.WriteAllText(Files.Errors, "{\"line\":9,\"error\":\"x\"}\n");
                break;
            case "output":
                File.Delete(Files.Output);
                break;
        }

        var plan = RedriveCheck.Plan(Input, _directory, errorsSource: null);

        Assert.Equal(RedriveStep.Refused, plan.Step);
        Assert.Contains(expected, plan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_ListThatIsAFifo_IsRefusedWithoutWaitingForAWriter()
    {
        CompletedRun(failed: [2]);
        var fifo = Path.Combine(_directory, "dropped.errors.jsonl");
        using (var mkfifo = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await mkfifo.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var plan = RedriveCheck.Plan(Input, _directory, fifo);

        Assert.Equal(RedriveStep.Refused, plan.Step);
        Assert.Contains("is not a regular file", plan.Message, StringComparison.Ordinal);
    }

    /// <summary>A redrive killed after its pending summary, and again after its first rename: each run of the commit
    /// finishes the same files.</summary>
    [Fact]
    public async Task CommitAsync_DoneAgainAfterACrashAtAnyStep_EndsWithTheSameFiles()
    {
        CompletedRun(failed: [2]);
        var redrive = new RedriveFiles(Files, Files.Errors);
        Directory.CreateDirectory(redrive.WorkDirectory);
        File.WriteAllText(JobFiles.Partial(Files.Output), "a\nb\nc\n");
        var updated = ReadSummary() with { FailedLines = 0 };
        File.WriteAllText(redrive.PendingSummary, JsonSerializer.Serialize(updated, ProducerJsonContext.Default.JobSummary));
        // The crash came after the output's rename.
        File.Move(JobFiles.Partial(Files.Output), Files.Output, overwrite: true);

        Assert.Equal(RedriveStep.Commit, RedriveCheck.Plan(Input, _directory, errorsSource: null).Step);
        await RedriveJob.CommitAsync(redrive, RedriveJob.ReadPendingSummary(redrive), CancellationToken.None);

        Assert.Equal("a\nb\nc\n", File.ReadAllText(Files.Output));
        Assert.False(File.Exists(Files.Errors));
        Assert.False(Directory.Exists(redrive.WorkDirectory));
        Assert.Equal(0, ReadSummary().FailedLines);
        Assert.Equal(RedriveStep.Nothing, RedriveCheck.Plan(Input, _directory, errorsSource: null).Step);
    }

    [Fact]
    public void Plan_PendingSummaryOfAnEarlierRun_IsNotCommittedAndItsFolderGoes()
    {
        CompletedRun(failed: [2]);
        var redrive = new RedriveFiles(Files, Files.Errors);
        Directory.CreateDirectory(redrive.WorkDirectory);
        var earlier = ReadSummary() with { TraceId = "an earlier run", FailedLines = 0 };
        File.WriteAllText(redrive.PendingSummary, JsonSerializer.Serialize(earlier, ProducerJsonContext.Default.JobSummary));

        var plan = RedriveCheck.Plan(Input, _directory, errorsSource: null);

        Assert.Equal(RedriveStep.Run, plan.Step);
        Assert.False(Directory.Exists(redrive.WorkDirectory));
    }

    private void CompletedRun(long[] failed)
    {
        File.WriteAllText(Input, "a\nb\nc\n");
        File.WriteAllText(Files.Output, string.Concat(new[] { "a", "b", "c" }.Select((l, i) => (failed.Contains(i + 1) ? "" : l) + "\n")));
        if (failed.Length > 0)
        {
            File.WriteAllLines(Files.Errors, failed.Select(l => $"{{\"line\":{l},\"error\":\"refused\"}}"));
        }
        WriteSummary(failed.Length, InputFingerprint.OfWholeFile(Input));
    }

    private void WriteSummary(long failed, string? fingerprint) =>
        File.WriteAllText(Files.Summary, JsonSerializer.Serialize(
            new JobSummary("in.txt", 3, failed, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0, 0, "trace", 0, 0, 0, fingerprint),
            ProducerJsonContext.Default.JobSummary));

    private JobSummary ReadSummary() =>
        JsonSerializer.Deserialize(File.ReadAllBytes(Files.Summary), ProducerJsonContext.Default.JobSummary)!;
}
