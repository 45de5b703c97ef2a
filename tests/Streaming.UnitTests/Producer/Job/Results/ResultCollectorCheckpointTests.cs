using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>The collector keeps the checkpoint rule: a result handed to it from the inbox is written, then a checkpoint
/// is saved when one is due (a second since the last), before the handler returns and the result is acknowledged.</summary>
public sealed class ResultCollectorCheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("collector-checkpoint-").FullName;

    [Fact]
    public async Task HandleAsync_AResultWithinASecondThenOneAfter_SavesTheCheckpointOnlyOnceItIsDue()
    {
        var time = new FakeTimeProvider();
        await using var job = await CollectorHarness.CreateAsync(_directory, time, lines: 4);

        Assert.Null(await job.Collector.HandleAsync(job.Result(0), CancellationToken.None));
        Assert.False(File.Exists(job.Files.Checkpoint));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await job.Collector.HandleAsync(job.Result(1), CancellationToken.None));

        var saved = job.SavedCheckpoint();
        Assert.Equal(2, saved.NextSequence);
        Assert.Equal(5, saved.NextLine);
        Assert.Equal(CollectorHarness.FirstQueue, saved.ResultsQueue);
    }

    /// <summary>A checkpoint the disk refused (here its folder made immutable: EPERM) is not taken for saved: the next
    /// result saves it, though the job did not advance since.</summary>
    [Fact]
    public async Task HandleAsync_TheCheckpointRefusedThenTheSameResultAgain_SavesTheCheckpointOnceItCan()
    {
        var time = new FakeTimeProvider();
        await using var job = await CollectorHarness.CreateAsync(_directory, time, lines: 4);
        var folder = Path.GetDirectoryName(job.Files.Checkpoint)!;
        time.Advance(TimeSpan.FromSeconds(1));
        await ChattrAsync("+i", folder);
        try
        {
            Assert.Null(await job.Collector.HandleAsync(job.Result(0), CancellationToken.None));
        }
        finally
        {
            await ChattrAsync("-i", folder);
        }
        Assert.False(File.Exists(job.Files.Checkpoint));
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(await job.Collector.HandleAsync(job.Result(0), CancellationToken.None));    // delivered again

        Assert.Equal(1, job.Collector.Duplicates);
        Assert.Equal(1, job.SavedCheckpoint().NextSequence);
    }

    /// <summary>The outputs are made final right after the checkpoints end: a checkpoint written then would be created,
    /// synced and deleted for nothing (a crash in between resumes from the last one).</summary>
    [Fact]
    public async Task EndCheckpointsAsync_EveryResultWritten_WritesNoCheckpointThenOrAfter()
    {
        var time = new FakeTimeProvider();
        await using var job = await CollectorHarness.CreateAsync(_directory, time, lines: 4);
        Assert.True(await job.Collector.SaveCheckpointAsync(CancellationToken.None));      // the one before publishing
        Assert.Null(await job.Collector.HandleAsync(job.Result(0), CancellationToken.None));
        Assert.Null(await job.Collector.HandleAsync(job.Result(1), CancellationToken.None));

        await job.Collector.EndCheckpointsAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(await job.Collector.SaveCheckpointAsync(CancellationToken.None));
        Assert.Equal(0, job.SavedCheckpoint().NextSequence);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task ChattrAsync(string change, string path)
    {
        using var process = Process.Start(new ProcessStartInfo("chattr", [change, path]) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"chattr {change} {path}: exit {process.ExitCode}: {await error}");
    }
}
