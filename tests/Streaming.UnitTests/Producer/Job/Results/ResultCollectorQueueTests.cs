using Microsoft.Extensions.Time.Testing;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>Each checkpoint names the results queue of the moment, read from the inbox as it is saved: a checkpoint is
/// due when the job advanced or when the queue is not the one the last checkpoint named, so a move to a fresh queue, or a
/// job resumed from another process's checkpoint, is saved even though no batch was written since.</summary>
public sealed class ResultCollectorQueueTests : IDisposable
{
    private const string Fresh = "streaming.results.fresh";

    private readonly string _directory = Directory.CreateTempSubdirectory("collector-queue-").FullName;
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task SaveCheckpointAsync_ResumedFromAnotherProcesssCheckpoint_SavesOneNamingThisProcesssQueueAtOnce()
    {
        await using var job = await CollectorHarness.CreateAsync(_directory, _time, lines: 2, resumedFromQueue: "streaming.results.gone");

        Assert.True(await job.Collector.SaveCheckpointAsync(CancellationToken.None));

        var saved = job.SavedCheckpoint();
        Assert.Equal(CollectorHarness.FirstQueue, saved.ResultsQueue);
        Assert.Equal(0, saved.NextSequence);
    }

    [Fact]
    public async Task SaveCheckpointAsync_ResumedOnThisProcesssQueueThenMoved_SavesNothingBeforeTheMoveAndTheFreshQueueAfter()
    {
        await using var job = await CollectorHarness.CreateAsync(_directory, _time, lines: 2, resumedFromQueue: CollectorHarness.FirstQueue);
        Assert.False(await job.Collector.SaveCheckpointAsync(CancellationToken.None));

        job.Results.MoveTo(Fresh);

        Assert.True(await job.Collector.SaveCheckpointAsync(CancellationToken.None));
        var saved = job.SavedCheckpoint();
        Assert.Equal(Fresh, saved.ResultsQueue);
        Assert.Equal(0, saved.NextSequence);
        Assert.False(await job.Collector.SaveCheckpointAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SaveCheckpointAsync_MovedAfterACheckpointWithNoResultSince_SavesOneNamingTheFreshQueue()
    {
        await using var job = await CollectorHarness.CreateAsync(_directory, _time, lines: 4);
        Assert.Null(await job.Collector.AcceptAsync(job.Result(0), CancellationToken.None));
        Assert.True(await job.Collector.SaveCheckpointAsync(CancellationToken.None));
        Assert.False(await job.Collector.SaveCheckpointAsync(CancellationToken.None));

        job.Results.MoveTo(Fresh);

        Assert.True(await job.Collector.SaveCheckpointAsync(CancellationToken.None));
        var saved = job.SavedCheckpoint();
        Assert.Equal(Fresh, saved.ResultsQueue);
        Assert.Equal(1, saved.NextSequence);
    }

    /// <summary>No job misses a move: every job of the process reads the one queue, whether it started before the move
    /// or after it.</summary>
    [Fact]
    public async Task SaveCheckpointAsync_JobsStartedBeforeAndAfterAMove_BothNameTheFreshQueue()
    {
        var process = new MovableResultsAddress(CollectorHarness.FirstQueue);
        await using var early = await CollectorHarness.CreateAsync(Subdirectory("early"), _time, lines: 2, results: process);
        Assert.True(await early.Collector.SaveCheckpointAsync(CancellationToken.None));
        Assert.Equal(CollectorHarness.FirstQueue, early.SavedCheckpoint().ResultsQueue);

        process.MoveTo(Fresh);
        await using var late = await CollectorHarness.CreateAsync(Subdirectory("late"), _time, lines: 2, results: process);

        Assert.True(await early.Collector.SaveCheckpointAsync(CancellationToken.None));
        Assert.True(await late.Collector.SaveCheckpointAsync(CancellationToken.None));
        Assert.Equal(Fresh, early.SavedCheckpoint().ResultsQueue);
        Assert.Equal(Fresh, late.SavedCheckpoint().ResultsQueue);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Subdirectory(string name) => Directory.CreateDirectory(Path.Combine(_directory, name)).FullName;
}
