using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>The collector keeps the checkpoint rule: a result handed to it from the inbox is written, then a checkpoint
/// is saved when one is due (a second since the last), before the handler returns and the result is acknowledged.</summary>
public sealed class ResultCollectorCheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("collector-checkpoint-").FullName;

    [Fact]
    public async Task HandleAsync_AResultWithinASecondThenOneAfter_SavesTheCheckpointOnlyOnceItIsDue()
    {
        var input = Path.Combine(_directory, "input.txt");
        await File.WriteAllTextAsync(input, "a\nb\nc\nd\n");
        var files = new JobFiles(input, Path.Combine(_directory, "out"));
        var time = new FakeTimeProvider();
        var cut = new CutSettings(BatchLines: 2, BatchBytes: 1024, MaxLineBytes: 1024);
        var job = new JobDescriptor(Guid.NewGuid(), files, 8, File.GetLastWriteTimeUtc(input), cut, time.GetUtcNow(), "trace", null);
        using var window = new JobWindow(size: 4, nextToWrite: 0);
        await using var output = JobOutput.Open(files, checkpoint: null);
        var state = new JobState(job, window, output);
        using var fingerprint = new InputFingerprint(input);
        await using var collector = new ResultCollector(
            state, output, fingerprint, resumedAt: null, TimeSpan.FromMinutes(1), new JobContext(files, time, NullLogger.Instance),
            CancellationToken.None);
        var batches = new List<CutBatch>();
        await using (var cursor = await InputCursor.OpenAsync(input, cut, job.JobId, 0, 0, 1, onCut: null, CancellationToken.None))
        {
            using var writer = new MessageWriter();
            while (await cursor.CutAsync(writer, CancellationToken.None) is { } batch)
            {
                state.Record(batch with { Body = batch.Body.ToArray() }, time.GetTimestamp());
                batches.Add(batch);
            }
        }

        Assert.Null(await collector.HandleAsync(Result(job.JobId, 0, batches[0]), CancellationToken.None));
        Assert.False(File.Exists(files.Checkpoint));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await collector.HandleAsync(Result(job.JobId, 1, batches[1]), CancellationToken.None));

        var saved = JsonSerializer.Deserialize(File.ReadAllBytes(files.Checkpoint), CheckpointJsonContext.Default.JobCheckpoint)!;
        Assert.Equal(2, saved.NextSequence);
        Assert.Equal(5, saved.NextLine);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static LineResult Result(Guid jobId, long sequence, CutBatch batch)
    {
        using var writer = new MessageWriter();
        for (var line = 0; line < batch.LineCount; line++)
        {
            writer.WriteEntry(LineStatus.Ok, Encoding.ASCII.GetBytes("R" + (batch.FirstLine + line)));
        }
        var header = new BatchHeader(jobId, sequence, batch.FirstLine, batch.LineCount, 0, batch.LineCount);
        return LineResult.Decode(writer.Complete(MessageKind.Result, header).ToArray(), JobState.MaxResultLineBytes);
    }
}
