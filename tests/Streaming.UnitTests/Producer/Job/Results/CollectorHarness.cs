using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>One job's collector at work in process, on real files: an input of one-letter lines cut into batches of two,
/// every batch recorded as published (a window of four), its output and checkpoint under the test's directory, a clock
/// the test gives, and a results queue the test moves (<see cref="Results"/>).</summary>
internal sealed class CollectorHarness : IAsyncDisposable
{
    /// <summary>The process's results queue until the test moves it.</summary>
    public const string FirstQueue = "streaming.results.first";

    private readonly List<CutBatch> _batches;
    private readonly InputFingerprint _fingerprint;
    private readonly JobWindow _window;

    private CollectorHarness(
        JobFiles files, JobDescriptor job, List<CutBatch> batches, InputFingerprint fingerprint, JobWindow window, JobOutput output,
        JobState state, ResultCollector collector, MovableResultsAddress results)
    {
        Files = files;
        Descriptor = job;
        _batches = batches;
        _fingerprint = fingerprint;
        _window = window;
        Output = output;
        State = state;
        Collector = collector;
        Results = results;
    }

    public JobFiles Files { get; }

    public JobDescriptor Descriptor { get; }

    public JobOutput Output { get; }

    public JobState State { get; }

    public ResultCollector Collector { get; }

    /// <summary>The results queue the collector reads at each checkpoint, as the inbox gives it.</summary>
    public MovableResultsAddress Results { get; }

    /// <summary>How many batches the input was cut into.</summary>
    public int BatchCount => _batches.Count;

    /// <param name="directory">Where the input, the output and the checkpoint go (the output under <c>out</c>).</param>
    /// <param name="lines">How many lines the input has.</param>
    /// <param name="resumedFromQueue">When given, the job is resumed from a checkpoint at its start that names this queue.</param>
    /// <param name="results">The process's results queue, shared with other jobs; a fresh one at <see cref="FirstQueue"/> if null.</param>
    /// <param name="watermark">The job's publish watermark, kept from its first checkpoint on; none if null.</param>
    public static async Task<CollectorHarness> CreateAsync(
        string directory, TimeProvider time, int lines, ILogger? logger = null, string? resumedFromQueue = null,
        MovableResultsAddress? results = null, PublishWatermark? watermark = null)
    {
        var input = Path.Combine(directory, "input.txt");
        await File.WriteAllTextAsync(input, string.Concat(Enumerable.Range(0, lines).Select(i => (char)('a' + i) + "\n")));
        var files = new JobFiles(input, Path.Combine(directory, "out"));
        var cut = new CutSettings(BatchLines: 2, BatchBytes: 1024, MaxLineBytes: 1024);
        var job = new JobDescriptor(Guid.NewGuid(), files, 2 * lines, File.GetLastWriteTimeUtc(input), cut, time.GetUtcNow(), "trace", null);
        var context = new JobContext(files, time, logger ?? NullLogger.Instance);
        var window = new JobWindow(size: 4, nextToWrite: 0);
        var output = JobOutput.Open(files, checkpoint: null);
        var state = new JobState(job, window, output);
        var resumedFrom = resumedFromQueue is null ? null : state.Snapshot() with { ResultsQueue = resumedFromQueue };
        var fingerprint = new InputFingerprint(input);
        results ??= new MovableResultsAddress(FirstQueue);
        var collector = new ResultCollector(
            state, output, fingerprint, resumedFrom, results, TimeSpan.FromMinutes(1), context, CancellationToken.None, watermark);
        var batches = new List<CutBatch>();
        await using (var cursor = await InputCursor.OpenAsync(input, cut, job.JobId, 0, 0, 1, onCut: null, CancellationToken.None))
        {
            using var writer = new MessageWriter();
            while (await cursor.CutAsync(writer, CancellationToken.None) is { } batch)
            {
                var copy = batch with { Body = batch.Body.ToArray() };
                state.Record(copy, time.GetTimestamp());
                batches.Add(copy);
            }
        }
        return new CollectorHarness(files, job, batches, fingerprint, window, output, state, collector, results);
    }

    /// <summary>The whole result of batch <paramref name="sequence"/>: "R" and the line's number for each of its lines.</summary>
    public LineResult Result(long sequence)
    {
        var batch = _batches[(int)sequence];
        using var writer = new MessageWriter();
        for (var line = 0; line < batch.LineCount; line++)
        {
            writer.WriteEntry(LineStatus.Ok, Encoding.ASCII.GetBytes("R" + (batch.FirstLine + line)));
        }
        var header = new BatchHeader(Descriptor.JobId, sequence, batch.FirstLine, batch.LineCount, 0, batch.LineCount);
        return LineResult.Decode(writer.Complete(MessageKind.Result, header).ToArray(), JobState.MaxResultLineBytes);
    }

    /// <summary>The checkpoint last saved, as a resumed run would read it.</summary>
    public JobCheckpoint SavedCheckpoint() =>
        JsonSerializer.Deserialize(File.ReadAllBytes(Files.Checkpoint), CheckpointJsonContext.Default.JobCheckpoint)!;

    public async ValueTask DisposeAsync()
    {
        await Collector.DisposeAsync();
        _fingerprint.Dispose();
        _window.Dispose();
        await Output.DisposeAsync();
    }
}
