using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Publishing;
using Streaming.Producer.Job.Results;
using Streaming.UnitTests.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Publishing;

/// <summary>
/// The retransmission timeout and the job's side of moving to a fresh results queue, in process on a fake clock: a real
/// input file, output and collector, and a sender that notes what is published again and when (by the fake clock).
/// </summary>
public sealed class RetransmitterTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan s_after = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(1);

    /// <summary>Fake time the clock is moved on at most while a test waits for something.</summary>
    private static readonly TimeSpan s_fakeLimit = TimeSpan.FromMinutes(10);

    /// <summary>Real time a test waits at most for something to happen.</summary>
    private static readonly TimeSpan s_realLimit = TimeSpan.FromSeconds(60);

    /// <summary>How long a tick is given to be acted on before the clock moves on (only a lower bound is ever asserted).</summary>
    private static readonly TimeSpan s_moment = TimeSpan.FromMilliseconds(20);

    private readonly string _directory = Directory.CreateTempSubdirectory("retransmitter-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeSender _sender;
    private readonly CancellationTokenSource _stop = new();
    private readonly RecordingLogger _log = new();
    private Harness? _harness;
    private Task? _running;

    public RetransmitterTests() => _sender = new FakeSender(_time);

    private Harness Job => _harness!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(10));
        }
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
        Directory.Delete(_directory, recursive: true);
    }

    public void Dispose() => _stop.Dispose();

    [Fact]
    public async Task RunAsync_NoResultForTheRetransmitTime_PublishesTheBatchesOutAgainInOrder()
    {
        var started = await StartAsync(giveUpAfter: 5);

        var round = await NextPublishesAsync(3);

        Assert.Equal([0, 1, 2], round.Select(p => p.Sequence));
        Assert.True(round[0].At - started >= s_after, $"published again after {round[0].At - started}");
    }

    [Fact]
    public async Task RunAsync_StillNoResult_WaitsTwiceAsLongBeforeTheNextRetransmission()
    {
        await StartAsync(giveUpAfter: 5);
        var first = await NextPublishesAsync(3);

        var second = await NextPublishesAsync(3);

        Assert.Equal([0, 1, 2], second.Select(p => p.Sequence));
        Assert.True(second[0].At - first[0].At >= 2 * s_after, $"published again {second[0].At - first[0].At} after the first time");
    }

    [Fact]
    public async Task RunAsync_BatchWrittenMeanwhile_WaitsAgainAndPublishesOnlyTheBatchesStillOut()
    {
        var started = await StartAsync(giveUpAfter: 5);
        _time.Advance(s_after / 2);
        Assert.Null(await Job.Collector.AcceptAsync(Job.Result(0), CancellationToken.None));
        var written = _time.GetUtcNow();

        var round = await NextPublishesAsync(2);

        Assert.Equal([1, 2], round.Select(p => p.Sequence));
        Assert.True(round[0].At - written >= s_after, $"published again {round[0].At - written} after the last progress");
        Assert.True(round[0].At - started >= s_after + (s_after / 2));
    }

    [Fact]
    public async Task ResultsMayBeLost_AfterAMoveToAFreshQueue_PublishesAgainAtOnceAndTheCheckpointNamesTheFreshQueue()
    {
        var started = await StartAsync(giveUpAfter: 5);
        var first = Job.Results.Queue;

        Job.Results.MoveTo("streaming.results.fresh");
        Job.Lost.Raise();
        _time.Advance(s_step);
        var round = await PublishesWithoutAdvancingAsync(3);

        Assert.NotEqual("streaming.results.fresh", first);
        Assert.Equal([0, 1, 2], round.Select(p => p.Sequence));
        Assert.Equal(s_step, round[0].At - started);
        Assert.Null(await Job.Collector.AcceptAsync(Job.Result(0), CancellationToken.None));
        Assert.True(await Job.Collector.SaveCheckpointAsync(CancellationToken.None));
        var saved = Job.SavedCheckpoint();
        Assert.Equal("streaming.results.fresh", saved.ResultsQueue);
        Assert.Equal(1, saved.NextSequence);
    }

    [Fact]
    public async Task RunAsync_UnansweredWithConsumersAttachedPastGiveUpAfter_FailsTheNextBatchAndGoesOn()
    {
        _sender.ConsumersAttached = true;
        await StartAsync(giveUpAfter: 1);
        await NextPublishesAsync(3);

        await AdvanceUntilAsync(() => Job.Collector.NextSequence == 1);

        Assert.Equal(2, Job.Output.FailedLines);
        var errors = await File.ReadAllTextAsync(JobFiles.Partial(Job.Files.Errors));
        Assert.Contains("no consumer accepted this batch", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UnansweredWithoutConsumers_KeepsPublishingAndFailsNothing()
    {
        _sender.ConsumersAttached = false;
        await StartAsync(giveUpAfter: 1);

        for (var round = 0; round < 3; round++)
        {
            Assert.Equal([0, 1, 2], (await NextPublishesAsync(3)).Select(p => p.Sequence));
        }

        Assert.Equal(0, Job.Collector.NextSequence);
        Assert.Equal(0, Job.Output.FailedLines);
    }

    /// <summary>Issue 21, item 7: an output that refuses writes with anything but an I/O error (here EPERM: an immutable
    /// file) was not paused but sent back to the queue, and came again at once, for ever (28,504 warnings with stack traces
    /// in 25 s). Item 6: a pause waited inside the inbox's one handler, so every other job of the process waited with it,
    /// and the retransmission timeout fired meanwhile. Now the results are held and acknowledged at once, the log says so
    /// once, nothing is published again while the pause lasts, and the results are written once the output takes them.</summary>
    [Fact]
    public async Task AcceptAsync_OutputMadeImmutable_HoldsTheResultsAtOnceWithOneWarningAndWritesThemOnceItCan()
    {
        _sender.ConsumersAttached = true;
        await StartAsync(giveUpAfter: 1);
        var output = JobFiles.Partial(Job.Files.Output);
        await ChattrAsync("+i", output);
        try
        {
            for (var sequence = 0; sequence < 3; sequence++)
            {
                Assert.Null(await Job.Collector.AcceptAsync(Job.Result(sequence), CancellationToken.None).WaitAsync(s_realLimit));
            }
            Assert.True(Job.Collector.WritePaused);

            await AdvanceForAsync(5 * s_after);

            Assert.False(_sender.Published.Reader.TryRead(out var published), $"batch {published.Sequence} published again during the pause");
            Assert.True(Job.Collector.WritePaused);
            Assert.False(Job.Collector.AllWritten.IsCompleted);
        }
        finally
        {
            await ChattrAsync("-i", output);
        }

        await AdvanceUntilAsync(() => Job.Collector.AllWritten.IsCompleted);

        await Job.Collector.AllWritten;
        Assert.Equal("R1\nR2\nR3\nR4\nR5\nR6\n", await File.ReadAllTextAsync(output));
        Assert.Equal(0, Job.Output.FailedLines);
        var warnings = _log.Entries.Where(e => e.Level >= LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);        // paused, then written again
        Assert.Contains("paused until it can", warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("written again after a pause", warnings[1].Message, StringComparison.Ordinal);
        Assert.All(warnings, w => Assert.Null(w.Exception));
    }

    /// <summary>Giving up on a batch writes its failed lines; an output that refuses that write pauses the job like any
    /// other refused write (it was logged as a deferred checkpoint at every attempt), and the batch fails once it can.</summary>
    [Fact]
    public async Task RunAsync_GivingUpOnABatchWhileTheOutputIsImmutable_PausesAndFailsTheBatchOnceItCan()
    {
        _sender.ConsumersAttached = true;
        await StartAsync(giveUpAfter: 1);
        await NextPublishesAsync(3);
        var output = JobFiles.Partial(Job.Files.Output);
        await ChattrAsync("+i", output);
        try
        {
            await AdvanceUntilAsync(() => _log.Entries.Any(e => e.Message.Contains("paused until it can", StringComparison.Ordinal)));
        }
        finally
        {
            await ChattrAsync("-i", output);
        }

        await AdvanceUntilAsync(() => Job.Collector.NextSequence == 1);

        Assert.Equal(2, Job.Output.FailedLines);
        Assert.DoesNotContain(_log.Entries, e => e.Message.Contains("checkpoint could not be written", StringComparison.Ordinal));
        Assert.All(_log.Entries, e => Assert.Null(e.Exception));
    }

    /// <summary>Issue 21, item 6, with a full disk (ENOSPC, a 64 KiB tmpfs): the result is held and the handler returns at
    /// once (it waited out the pause before, holding up every other job of the process), and the job goes on by itself once
    /// there is room. Needs root (CI runs as root) to mount the tmpfs.</summary>
    [Fact]
    public async Task AcceptAsync_DiskFull_ReturnsAtOnceAndTheJobGoesOnWhenThereIsRoom()
    {
        var disk = Path.Combine(_directory, "out");
        Directory.CreateDirectory(disk);
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=64k", "none", disk);
        try
        {
            await StartAsync(giveUpAfter: 5);
            var filler = Path.Combine(disk, "filler");
            await FillAsync(filler);

            var accepted = Job.Collector.AcceptAsync(Job.Result(0), CancellationToken.None);

            Assert.Null(await accepted.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.True(Job.Collector.WritePaused);
            Assert.Null(await Job.Collector.AcceptAsync(Job.Result(2), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
            await AdvanceForAsync(3 * s_after);
            Assert.False(_sender.Published.Reader.TryRead(out var published), $"batch {published.Sequence} published again during the pause");

            File.Delete(filler);
            Assert.Null(await Job.Collector.AcceptAsync(Job.Result(1), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
            await AdvanceUntilAsync(() => Job.Collector.AllWritten.IsCompleted);

            Assert.Equal("R1\nR2\nR3\nR4\nR5\nR6\n", await File.ReadAllTextAsync(JobFiles.Partial(Job.Files.Output)));
        }
        finally
        {
            await RunAsync("umount", "--lazy", disk);
        }
    }

    /// <summary>A job of six lines in three batches of two, all published, none answered; the retransmitter running.</summary>
    private async Task<DateTimeOffset> StartAsync(int giveUpAfter)
    {
        _harness = await Harness.CreateAsync(_directory, _time, _sender, new RetransmitPolicy(s_after, giveUpAfter), _log);
        _running = _harness.Retransmitter.RunAsync(_stop.Token);
        return _time.GetUtcNow();
    }

    /// <summary>Moves the fake clock on a second at a time until <paramref name="count"/> more publishes are seen.</summary>
    private async Task<List<(long Sequence, DateTimeOffset At)>> NextPublishesAsync(int count)
    {
        var seen = new List<(long Sequence, DateTimeOffset At)>();
        await AdvanceUntilAsync(() => ReadPublished(seen, count));
        return seen;
    }

    /// <summary>Waits, without moving the fake clock, until <paramref name="count"/> more publishes are seen.</summary>
    private async Task<List<(long Sequence, DateTimeOffset At)>> PublishesWithoutAdvancingAsync(int count)
    {
        var seen = new List<(long Sequence, DateTimeOffset At)>();
        using var timeout = new CancellationTokenSource(s_realLimit);
        while (!ReadPublished(seen, count))
        {
            await _sender.Published.Reader.WaitToReadAsync(timeout.Token);
        }
        return seen;
    }

    private bool ReadPublished(List<(long Sequence, DateTimeOffset At)> seen, int count)
    {
        while (seen.Count < count && _sender.Published.Reader.TryRead(out var published))
        {
            seen.Add(published);
        }
        return seen.Count == count;
    }

    /// <summary>Moves the fake clock on by a second whenever the retransmitter has had a moment to act on the last one,
    /// until <paramref name="done"/>, within <see cref="s_fakeLimit"/> of fake time and <see cref="s_realLimit"/> of real time.</summary>
    private async Task AdvanceUntilAsync(Func<bool> done)
    {
        var limit = _time.GetUtcNow() + s_fakeLimit;
        var real = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(_time.GetUtcNow() < limit, "nothing happened within " + s_fakeLimit + " of fake time");
            Assert.True(real.Elapsed < s_realLimit, "nothing happened within " + s_realLimit);
            try
            {
                // A moment for the retransmitter to act on the last tick: it publishes (the wait ends) or it does not.
                await _sender.Published.Reader.WaitToReadAsync().AsTask().WaitAsync(s_moment);
                if (done())
                {
                    return;
                }
            }
            catch (TimeoutException)
            {
                // Nothing published on this tick.
            }
            _time.Advance(s_step);
        }
    }

    /// <summary>Moves the fake clock on by <paramref name="span"/> a second at a time, a moment for each tick.</summary>
    private async Task AdvanceForAsync(TimeSpan span)
    {
        for (var moved = TimeSpan.Zero; moved < span; moved += s_step)
        {
            _time.Advance(s_step);
            await Task.Delay(s_moment);
        }
    }

    private static Task ChattrAsync(string change, string path) => RunAsync("chattr", change, path);

    /// <summary>Writes to <paramref name="path"/> until the file system says it is full.</summary>
    private static async Task FillAsync(string path)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        var block = new byte[4096];
        try
        {
            for (var i = 0; i < 1024; i++)
            {
                await file.WriteAsync(block);
            }
        }
        catch (IOException)
        {
            return;     // full
        }
        Assert.Fail("the file system did not fill up");
    }

    private static async Task RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)}: exit {process.ExitCode}: {await error}");
    }

    /// <summary>Keeps what is logged, to count the warnings and see that none carries a stack trace.</summary>
    private sealed class RecordingLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception), exception));
    }

    private sealed class FakeSender(TimeProvider time) : IBatchSender
    {
        public Channel<(long Sequence, DateTimeOffset At)> Published { get; } = Channel.CreateUnbounded<(long, DateTimeOffset)>();

        public bool ConsumersAttached { get; set; }

        public Task PublishAgainAsync(CutBatch batch, CancellationToken cancellationToken)
        {
            Published.Writer.TryWrite((batch.Sequence, time.GetUtcNow()));
            return Task.CompletedTask;
        }

        public Task<bool> ConsumersAttachedAsync(CancellationToken cancellationToken) => Task.FromResult(ConsumersAttached);
    }

    /// <summary>The parts of one job that the retransmitter works with, on real files: a collector (<see cref="CollectorHarness"/>)
    /// of six lines in three batches, all published, and the retransmitter.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly CollectorHarness _job;

        private Harness(CollectorHarness job, Retransmitter retransmitter)
        {
            _job = job;
            Retransmitter = retransmitter;
            Lost.Listen(retransmitter.RequestNow);
        }

        public JobFiles Files => _job.Files;

        public JobOutput Output => _job.Output;

        public ResultCollector Collector => _job.Collector;

        /// <summary>The process's results queue, which the inbox moves.</summary>
        public MovableResultsAddress Results => _job.Results;

        public Retransmitter Retransmitter { get; }

        /// <summary>The results queue's loss signal, as the session's inbox raises it.</summary>
        public ResultsLossSignal Lost { get; } = new();

        public static async Task<Harness> CreateAsync(
            string directory, TimeProvider time, IBatchSender sender, RetransmitPolicy policy, ILogger logger)
        {
            var job = await CollectorHarness.CreateAsync(directory, time, lines: 6, logger);
            var context = new JobContext(job.Files, time, logger);
            var retransmitter = new Retransmitter(new InputReplay(job.Descriptor, job.State), job.Collector, sender, policy, context);
            job.Collector.ResultsLost += retransmitter.RequestNow;
            Assert.Equal(3, job.BatchCount);
            retransmitter.CutThrough(job.BatchCount);
            job.Collector.SetTotal(job.BatchCount);
            return new Harness(job, retransmitter);
        }

        /// <summary>The whole result of batch <paramref name="sequence"/>: "R" and the line's number for each of its lines.</summary>
        public LineResult Result(long sequence) => _job.Result(sequence);

        public JobCheckpoint SavedCheckpoint() => _job.SavedCheckpoint();

        public async ValueTask DisposeAsync()
        {
            Retransmitter.Dispose();
            await _job.DisposeAsync();
        }
    }
}
