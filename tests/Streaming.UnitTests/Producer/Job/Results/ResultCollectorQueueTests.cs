using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>A job resumed in another process answers to that process's results queue: its checkpoint must say so
/// before its first batch goes out, even though no batch was written since the checkpoint it resumed from.</summary>
public sealed class ResultCollectorQueueTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("collector-queue-").FullName;

    [Fact]
    public async Task SaveCheckpointAsync_ResumedThenMovedToThisProcesssQueue_SavesTheCheckpointNamingIt()
    {
        var input = Path.Combine(_directory, "input.txt");
        await File.WriteAllTextAsync(input, "a\nb\n");
        var files = new JobFiles(input, Path.Combine(_directory, "out"));
        var time = new FakeTimeProvider();
        var job = new JobDescriptor(
            Guid.NewGuid(), files, 4, File.GetLastWriteTimeUtc(input), new CutSettings(2, 1024, 1024), time.GetUtcNow(), "trace", null);
        using var window = new JobWindow(size: 4, nextToWrite: 0);
        await using var output = JobOutput.Open(files, checkpoint: null);
        var state = new JobState(job, window, output);
        using var fingerprint = new InputFingerprint(input);
        await using var collector = new ResultCollector(
            state, output, fingerprint, resumedAt: 0, TimeSpan.FromMinutes(1), new JobContext(files, time, NullLogger.Instance),
            CancellationToken.None);
        Assert.False(await collector.SaveCheckpointAsync(CancellationToken.None));

        collector.MovedTo("streaming.results.thisprocess");

        Assert.True(await collector.SaveCheckpointAsync(CancellationToken.None));
        var saved = JsonSerializer.Deserialize(File.ReadAllBytes(files.Checkpoint), CheckpointJsonContext.Default.JobCheckpoint)!;
        Assert.Equal("streaming.results.thisprocess", saved.ResultsQueue);
        Assert.Equal(0, saved.NextSequence);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
