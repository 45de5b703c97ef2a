using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Streaming.Producer.Job.Checkpoints;

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
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await job.Collector.HandleAsync(job.Result(0), CancellationToken.None));      // saves the first
        Assert.Equal(1, job.SavedCheckpoint().NextSequence);
        Assert.Null(await job.Collector.HandleAsync(job.Result(1), CancellationToken.None));

        await job.Collector.EndCheckpointsAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(await job.Collector.SaveCheckpointAsync(CancellationToken.None));
        Assert.Equal(1, job.SavedCheckpoint().NextSequence);
    }

    /// <summary>A new job writes no checkpoint before it has run for the interval, results or not: one that ends sooner
    /// (a small file) never creates one.</summary>
    [Fact]
    public async Task SaveFirstCheckpointWhenDueAsync_JobEndsWithinTheInterval_NoCheckpointIsEverWritten()
    {
        var time = new FakeTimeProvider();
        await using var job = await CollectorHarness.CreateAsync(_directory, time, lines: 4);
        using var running = new CancellationTokenSource();
        var firstCheckpoint = job.Collector.SaveFirstCheckpointWhenDueAsync(running.Token);

        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Null(await job.Collector.HandleAsync(job.Result(0), CancellationToken.None));
        Assert.Null(await job.Collector.HandleAsync(job.Result(1), CancellationToken.None));
        await job.Collector.EndCheckpointsAsync(CancellationToken.None);
        await running.CancelAsync();
        await firstCheckpoint.WaitAsync(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(File.Exists(job.Files.Checkpoint));
        Assert.False(File.Exists(job.Files.Published));
    }

    /// <summary>Most small files end within the interval and cancel the wait for the first checkpoint: that must not
    /// throw (and unwind) an exception for each of them.</summary>
    [Fact]
    public async Task SaveFirstCheckpointWhenDueAsync_CancelledWithinTheInterval_EndsWithoutThrowing()
    {
        var time = new FakeTimeProvider();
        await using var job = await CollectorHarness.CreateAsync(_directory, time, lines: 4);
        using var running = new CancellationTokenSource();
        using var thrown = ThrownExceptions.Watch();
        var firstCheckpoint = job.Collector.SaveFirstCheckpointWhenDueAsync(running.Token);

        await running.CancelAsync();
        await firstCheckpoint.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(thrown.Thrown.OfType<OperationCanceledException>());
        Assert.False(File.Exists(job.Files.Checkpoint));
    }

    /// <summary>No result within the interval (no consumer yet): the first checkpoint is saved all the same, with the
    /// publish watermark beside it, so that the job resumes under its id.</summary>
    [Fact]
    public async Task SaveFirstCheckpointWhenDueAsync_NoResultForTheInterval_SavesTheCheckpointAndKeepsTheWatermark()
    {
        var time = new FakeTimeProvider();
        var published = Path.Combine(_directory, "out", "input.txt.published");
        using var watermark = PublishWatermark.Open(published, resuming: false);
        await using var job = await CollectorHarness.CreateAsync(_directory, time, lines: 4, watermark: watermark);
        watermark.Publishing(1, 2);
        var firstCheckpoint = job.Collector.SaveFirstCheckpointWhenDueAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(File.Exists(job.Files.Checkpoint));
        time.Advance(TimeSpan.FromMilliseconds(1));
        await firstCheckpoint.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, job.SavedCheckpoint().NextSequence);
        Assert.Equal(CollectorHarness.FirstQueue, job.SavedCheckpoint().ResultsQueue);
        Assert.Equal(16, new FileInfo(published).Length);
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
