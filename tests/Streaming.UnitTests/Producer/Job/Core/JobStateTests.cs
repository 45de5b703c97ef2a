using System.Text;
using CsCheck;
using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.Core;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;

namespace Streaming.UnitTests.Producer.Job.Core;

/// <summary>The exactly-once core, in process: ordering, deduplication, the window, split parts, failed writes and
/// restarts from checkpoints, against a sink that keeps the committed lines in memory.</summary>
public sealed class JobStateTests
{
    private static readonly Guid s_job = Guid.NewGuid();

    [Fact]
    public void Accept_ResultsInOrder_WritesEachBatchAtOnce()
    {
        var job = new Job(lines: 6, batchLines: 2, window: 3);
        job.PublishWhatTheWindowAllows();

        Assert.Equal(AcceptOutcomeKind.Written, job.State.Accept(job.Whole(0)).Kind);
        Assert.Equal(AcceptOutcomeKind.Written, job.State.Accept(job.Whole(1)).Kind);

        Assert.Equal(["l1", "l2", "l3", "l4"], job.Sink.Committed);
        Assert.Equal(2, job.State.NextSequence);
        Assert.Equal(5, job.State.NextLine);
    }

    [Fact]
    public void Accept_SameResultAgain_IsADuplicateAndWritesNothing()
    {
        var job = new Job(lines: 4, batchLines: 2, window: 2);
        job.PublishWhatTheWindowAllows();
        job.State.Accept(job.Whole(0));

        var again = job.State.Accept(job.Whole(0));

        Assert.Equal(AcceptOutcomeKind.Duplicate, again.Kind);
        Assert.Equal(["l1", "l2"], job.Sink.Committed);
        Assert.Equal(1, job.State.Duplicates);
    }

    [Fact]
    public void Accept_EarlyResult_IsHeldUntilItsTurnThenWritten()
    {
        var job = new Job(lines: 6, batchLines: 2, window: 3);
        job.PublishWhatTheWindowAllows();

        Assert.Equal(AcceptOutcomeKind.Held, job.State.Accept(job.Whole(2)).Kind);
        Assert.Equal(AcceptOutcomeKind.Held, job.State.Accept(job.Whole(1)).Kind);
        Assert.Empty(job.Sink.Committed);
        Assert.Equal(2, job.State.Held);

        job.State.Accept(job.Whole(0));

        Assert.Equal(["l1", "l2", "l3", "l4", "l5", "l6"], job.Sink.Committed);
        Assert.Equal(0, job.State.Held);
    }

    [Fact]
    public void Accept_ResultBeyondTheWindow_IsDroppedNotHeld()
    {
        var job = new Job(lines: 10, batchLines: 2, window: 2);
        job.PublishWhatTheWindowAllows();

        var outcome = job.State.Accept(job.Whole(3));

        Assert.Equal(AcceptOutcomeKind.Dropped, outcome.Kind);
        Assert.Contains("beyond the window", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, job.State.Held);
    }

    [Fact]
    public void Accept_ResultOfAnotherJob_IsDropped()
    {
        var job = new Job(lines: 2, batchLines: 2, window: 1);
        job.PublishWhatTheWindowAllows();

        var outcome = job.State.Accept(Result(Guid.NewGuid(), 0, 1, 2, 0, 2, ["x", "y"]));

        Assert.Equal(AcceptOutcomeKind.Dropped, outcome.Kind);
        Assert.Empty(job.Sink.Committed);
    }

    [Fact]
    public void Accept_SplitParts_WrittenOnceEveryLineIsCovered()
    {
        var job = new Job(lines: 4, batchLines: 4, window: 1);
        job.PublishWhatTheWindowAllows();

        Assert.Equal(AcceptOutcomeKind.Held, job.State.Accept(job.Part(0, 2, 2)).Kind);
        Assert.Equal(AcceptOutcomeKind.Held, job.State.Accept(job.Part(0, 0, 1)).Kind);
        Assert.Empty(job.Sink.Committed);
        job.State.Accept(job.Part(0, 1, 1));

        Assert.Equal(["l1", "l2", "l3", "l4"], job.Sink.Committed);
    }

    [Fact]
    public void Accept_CommitFails_NothingAdvancesTheResultIsHeldAndWrittenOnTheNextTry()
    {
        var job = new Job(lines: 4, batchLines: 2, window: 2);
        job.PublishWhatTheWindowAllows();
        job.State.Accept(job.Whole(1));
        job.Sink.CommitsUntilFailure = 0;

        Assert.Throws<IOException>(() => job.State.Accept(job.Whole(0)));
        Assert.Empty(job.Sink.Committed);
        Assert.Equal(0, job.State.NextSequence);
        Assert.Equal(2, job.State.Held);        // the result whose write failed is held: it can be acknowledged

        job.State.WriteHeldInTurn();
        Assert.Equal(["l1", "l2", "l3", "l4"], job.Sink.Committed);
        Assert.Equal(AcceptOutcomeKind.Duplicate, job.State.Accept(job.Whole(0)).Kind);
    }

    [Fact]
    public void WriteHeldInTurn_HeldBatchWhoseWriteFailed_StaysHeldAndIsWrittenOnTheNextTry()
    {
        var job = new Job(lines: 4, batchLines: 2, window: 2);
        job.PublishWhatTheWindowAllows();
        job.State.Accept(job.Whole(1));
        job.Sink.CommitsUntilFailure = 1;       // batch 0 is written, then the held batch 1's write fails

        Assert.Throws<IOException>(() => job.State.Accept(job.Whole(0)));
        Assert.Equal(["l1", "l2"], job.Sink.Committed);
        Assert.Equal(1, job.State.NextSequence);
        Assert.Equal(1, job.State.Held);

        job.State.WriteHeldInTurn();

        Assert.Equal(["l1", "l2", "l3", "l4"], job.Sink.Committed);
        Assert.Equal(0, job.State.Held);
    }

    [Fact]
    public void FailBatch_NextBatchWithAHeldPart_WritesThePartAndFailsTheOtherLines()
    {
        var job = new Job(lines: 4, batchLines: 4, window: 1);
        job.PublishWhatTheWindowAllows();
        job.State.Accept(job.Part(0, 2, 2));

        Assert.True(job.State.FailBatch(0, "refused"u8));

        Assert.Equal(["FAIL 1 refused", "FAIL 2 refused", "l3", "l4"], job.Sink.Committed);
        Assert.Equal(1, job.State.NextSequence);
        Assert.Equal(0, job.State.Held);
        Assert.False(job.State.FailBatch(0, "again"u8));
    }

    [Fact]
    public void Accept_ForgedPartsPastTheByteBudget_AreDroppedAndTheHeldBytesStayWithinIt()
    {
        // Anyone who may publish into the vhost can send parts of any batch in the window: single-line parts of one
        // batch, each within the window and the ledger's shape, held for reordering until the budget says no.
        var sink = new FakeSink();
        var budget = 2_000;
        var state = new JobState(Descriptor(1000), new JobWindow(2, 0), sink, heldBytes: new ReorderBudget(budget));
        state.Record(new CutBatch(0, 1, 1000, 0, 10_000, ReadOnlyMemory<byte>.Empty), 0);
        state.Record(new CutBatch(1, 1001, 1000, 10_000, 20_000, ReadOnlyMemory<byte>.Empty), 0);

        var outcomes = Enumerable.Range(0, 1000)
            .Select(i => state.Accept(Result(s_job, 1, 1001, 1000, i, 1, [new string('x', 50)])))
            .ToList();

        Assert.Contains(outcomes, o => o.Kind == AcceptOutcomeKind.Held);
        Assert.Contains(outcomes, o => o.Kind == AcceptOutcomeKind.Dropped && o.Reason!.Contains("byte budget", StringComparison.Ordinal));
        Assert.InRange(state.HeldBytes, 1, budget);
        Assert.Empty(sink.Committed);
    }

    /// <summary>Issue 21, item 15: the bytes held for reordering were bounded per job (a window of 16 MiB results: 512 MiB
    /// a file, 4 GiB in watch), so consumers answering the batches ahead with large results could fill the producer. Now one
    /// budget serves the whole process: past it a result ahead is not held (and the batches out are published again once
    /// the job gets to it), while the result a job needs next is always held, so no job waits on another's.</summary>
    [Fact]
    public void Accept_ProcessBudgetFullOfAnotherJobsResults_ResultAheadIsRefusedAndTheNextOneStillWritten()
    {
        var probe = new Job(lines: 40, batchLines: 10, window: 4);
        probe.PublishWhatTheWindowAllows();
        var budget = new ReorderBudget(probe.Whole(1).Body.Length + probe.Whole(2).Body.Length);
        var first = new Job(lines: 40, batchLines: 10, window: 4, budget: budget);
        var second = new Job(lines: 40, batchLines: 10, window: 4, budget: budget);
        first.PublishWhatTheWindowAllows();
        second.PublishWhatTheWindowAllows();

        Assert.Equal(AcceptOutcomeKind.Held, first.State.Accept(first.Whole(1)).Kind);
        Assert.Equal(AcceptOutcomeKind.Held, first.State.Accept(first.Whole(2)).Kind);
        Assert.Equal(budget.Capacity, budget.Held);

        var refused = second.State.Accept(second.Whole(2));
        Assert.Equal(AcceptOutcomeKind.Dropped, refused.Kind);
        Assert.Contains("byte budget", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(AcceptOutcomeKind.Held, second.State.Accept(second.Part(0, 0, 5)).Kind);     // next in turn: always held
        Assert.Equal(AcceptOutcomeKind.Held, second.State.Accept(second.Part(0, 5, 5)).Kind);
        Assert.Equal(10, second.Sink.Committed.Count);
        Assert.False(second.State.TakeResendNeeded());
        Assert.Equal(AcceptOutcomeKind.Written, second.State.Accept(second.Whole(1)).Kind);
        Assert.True(second.State.TakeResendNeeded());       // batch 2 is next and was refused: publish it again now
        Assert.False(second.State.TakeResendNeeded());
        Assert.Equal(budget.Capacity, budget.Held);

        first.State.Accept(first.Whole(0));

        Assert.Equal(30, first.Sink.Committed.Count);
        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public void Accept_PartsOfTheNextBatchPastTheBudget_AreHeldSoTheJobAdvances()
    {
        var budget = new ReorderBudget(1);
        var job = new Job(lines: 20, batchLines: 10, window: 2, budget: budget);
        job.PublishWhatTheWindowAllows();

        Assert.Equal(AcceptOutcomeKind.Held, job.State.Accept(job.Part(0, 5, 5)).Kind);
        Assert.Equal(AcceptOutcomeKind.Held, job.State.Accept(job.Part(0, 0, 5)).Kind);

        Assert.Equal(job.Expected.Take(10), job.Sink.Committed);
        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public void ReleaseHeld_JobOverWithResultsHeld_GivesTheirBytesBackToTheProcessBudget()
    {
        var budget = new ReorderBudget(1024 * 1024);
        var job = new Job(lines: 40, batchLines: 10, window: 4, budget: budget);
        job.PublishWhatTheWindowAllows();
        job.State.Accept(job.Whole(2));
        job.State.Accept(job.Part(3, 0, 5));
        Assert.True(budget.Held > 0);

        job.State.ReleaseHeld();

        Assert.Equal(0, budget.Held);
        Assert.Equal(0, job.State.Held);
    }

    /// <summary>
    /// For any file, batch sizes (each batch its own, as the cutter's byte limit makes them) and window, and any way the
    /// results come — in any order, duplicated, lost (and then published again), split into parts, with writes that fail
    /// and restarts from any checkpoint the state made — the output is every input line processed once, in order, and
    /// no more than a window of batches is ever held.
    /// </summary>
    [Fact]
    public void Accept_AnyDeliveryOrderDuplicatesLossesSplitsFailedWritesAndRestarts_OutputIsTheInputOnceInOrder()
    {
        Gen.Select(Gen.Int[0, 60], Gen.Int[1, 7], Gen.Int[1, 5], Gen.Int)
            .Sample((lines, batchLines, window, seed) => Simulate(lines, batchLines, window, seed), iter: 400);
    }

    private static void Simulate(int lines, int batchLines, int window, int seed)
    {
        var random = new Random(seed);
        var job = new Job(lines, batchLines, window, RandomSizes(lines, batchLines, random));
        var inFlight = new List<LineResult>();
        var checkpoint = job.State.Snapshot();
        for (var step = 0; !job.State.AllWritten; step++)
        {
            Assert.True(step < 100_000, $"no progress (lines {lines}, batch {batchLines}, window {window}, seed {seed})");
            foreach (var sequence in job.PublishWhatTheWindowAllows())
            {
                inFlight.AddRange(job.Results(sequence, random));
            }
            if (inFlight.Count == 0)
            {
                // Every result still missing was lost: the retransmission timeout publishes those batches again.
                foreach (var sequence in job.Unanswered())
                {
                    inFlight.AddRange(job.Results(sequence, random));
                }
            }
            var action = random.Next(100);
            if (action < 2)
            {
                job = job.RestartFrom(checkpoint);
                continue;
            }
            if (action < 8)
            {
                checkpoint = job.State.Snapshot();
                continue;
            }
            if (action < 11)
            {
                job.Sink.CommitsUntilFailure = random.Next(3);     // a full disk for one write, soon
            }
            var index = random.Next(inFlight.Count);
            var result = inFlight[index];
            if (random.Next(10) > 0)
            {
                inFlight.RemoveAt(index);     // else it stays: delivered again later
            }
            if (random.Next(12) == 0)
            {
                continue;                     // lost
            }
            try
            {
                var outcome = job.State.Accept(result);
                Assert.True(outcome.Kind != AcceptOutcomeKind.Malformed, $"a consumer's well-formed result was refused: {outcome.Reason}");
            }
            catch (IOException)
            {
                inFlight.Add(result);         // not acknowledged: the broker delivers it again
            }
            job.Sink.CommitsUntilFailure = -1;
            Assert.True(job.State.Held <= window, $"{job.State.Held} batches held with a window of {window}");
        }
        Assert.Equal(job.Expected, job.Sink.Committed);
    }

    private static LineResult Result(Guid jobId, long sequence, long firstLine, int batchLines, int start, int count, IEnumerable<string> lines)
    {
        using var writer = new MessageWriter();
        foreach (var line in lines)
        {
            writer.WriteEntry(LineStatus.Ok, Encoding.ASCII.GetBytes(line));
        }
        var header = new BatchHeader(jobId, sequence, firstLine, batchLines, start, count);
        return LineResult.Decode(writer.Complete(MessageKind.Result, header).ToArray(), 100);
    }

    /// <summary>Batch sizes of 1 to <paramref name="batchLines"/> lines that cover <paramref name="lines"/> lines.</summary>
    private static int[] RandomSizes(int lines, int batchLines, Random random)
    {
        var sizes = new List<int>();
        for (var left = lines; left > 0;)
        {
            var size = Math.Min(left, random.Next(1, batchLines + 1));
            sizes.Add(size);
            left -= size;
        }
        return [.. sizes];
    }

    private static JobDescriptor Descriptor(int batchLines) => new(
        s_job, new JobFiles("input", "."), 0, DateTime.UnixEpoch, new CutSettings(batchLines, 1, 1), DateTimeOffset.UnixEpoch,
        "trace", null);

    /// <summary>One job in the simulation: its input (line i is "l{i}"), its batches, its state and sink.</summary>
    private sealed class Job
    {
        private readonly int _lines;
        private readonly int _batchLines;
        private readonly int _window;
        private readonly int[] _sizes;
        private readonly long[] _firstLines;
        private long _published;

        /// <param name="sizes">Each batch's lines; by default every batch has <paramref name="batchLines"/> but the last.</param>
        public Job(
            int lines, int batchLines, int window, int[]? sizes = null, JobCheckpoint? resumeFrom = null, FakeSink? sink = null,
            ReorderBudget? budget = null)
        {
            _lines = lines;
            _batchLines = batchLines;
            _window = window;
            _sizes = sizes ?? Enumerable.Range(0, (lines + batchLines - 1) / batchLines)
                .Select(b => Math.Min(batchLines, lines - (b * batchLines))).ToArray();
            _firstLines = new long[_sizes.Length];
            for (var b = 1; b < _sizes.Length; b++)
            {
                _firstLines[b] = _firstLines[b - 1] + _sizes[b - 1];
            }
            for (var b = 0; b < _sizes.Length; b++)
            {
                _firstLines[b]++;
            }
            Sink = sink ?? new FakeSink();
            State = new JobState(Descriptor(batchLines), new JobWindow(window, resumeFrom?.NextSequence ?? 0), Sink, resumeFrom,
                budget ?? new ReorderBudget(long.MaxValue));
            State.SetTotal(Batches);
            _published = State.NextSequence;
        }

        public JobState State { get; }

        public FakeSink Sink { get; }

        public List<string> Expected => Enumerable.Range(1, _lines).Select(i => "l" + i).ToList();

        private long Batches => _sizes.Length;

        public List<long> PublishWhatTheWindowAllows()
        {
            var published = new List<long>();
            while (_published < Batches && State.IsInWindow(_published))
            {
                var first = _firstLines[_published];
                var count = _sizes[_published];
                State.Record(new CutBatch(_published, first, count, first * 10, (first + count) * 10, ReadOnlyMemory<byte>.Empty), 0);
                published.Add(_published++);
            }
            return published;
        }

        public IEnumerable<long> Unanswered()
        {
            for (var sequence = State.NextSequence; sequence < _published; sequence++)
            {
                yield return sequence;
            }
        }

        public LineResult Whole(long sequence) => Part(sequence, 0, Count(sequence));

        public LineResult Part(long sequence, int start, int count)
        {
            var first = _firstLines[sequence];
            return Result(s_job, sequence, first, Count(sequence), start, count,
                Enumerable.Range(start, count).Select(i => "l" + (first + i)));
        }

        /// <summary>What consumers send back for a batch: the whole result, or the leaves of a random halving (as the
        /// quarantine splits a batch that comes back), sometimes with the whole one too.</summary>
        public List<LineResult> Results(long sequence, Random random)
        {
            var count = Count(sequence);
            if (random.Next(3) > 0 || count == 1)
            {
                return [Whole(sequence)];
            }
            var parts = new List<LineResult>();
            Split(sequence, 0, count, random, parts);
            if (random.Next(4) == 0)
            {
                parts.Add(Whole(sequence));
            }
            return parts;
        }

        /// <summary>A crash and a new run: the output is cut back to the checkpoint, publishing starts again from it.</summary>
        public Job RestartFrom(JobCheckpoint checkpoint)
        {
            Sink.TruncateTo((int)checkpoint.OutputLength);
            return new Job(_lines, _batchLines, _window, _sizes, checkpoint, Sink);
        }

        private int Count(long sequence) => _sizes[sequence];

        private void Split(long sequence, int start, int count, Random random, List<LineResult> parts)
        {
            if (count == 1 || random.Next(3) == 0)
            {
                parts.Add(Part(sequence, start, count));
                return;
            }
            var half = count / 2;
            Split(sequence, start, half, random, parts);
            Split(sequence, start + half, count - half, random, parts);
        }
    }

    /// <summary>Keeps committed lines ("FAIL n reason" for failures); a commit can be made to fail, writing nothing.</summary>
    private sealed class FakeSink : IOutputSink
    {
        private readonly List<string> _pending = [];

        public List<string> Committed { get; } = [];

        /// <summary>Counted in lines: a restart cuts the committed lines back to a checkpoint's <c>OutputLength</c>.</summary>
        public OutputLengths Lengths => new(Committed.Count, 0, 0);

        /// <summary>How many commits succeed before one fails (-1: none fails).</summary>
        public int CommitsUntilFailure { get; set; } = -1;

        public void Append(LineResult result)
        {
            for (var i = 0; i < result.Lines.Count; i++)
            {
                _pending.Add(Encoding.ASCII.GetString(result.LineBytes(i)));
            }
        }

        public void AppendFailure(long lineNumber, ReadOnlySpan<byte> reason) =>
            _pending.Add($"FAIL {lineNumber} {Encoding.ASCII.GetString(reason)}");

        public void Commit()
        {
            if (CommitsUntilFailure == 0)
            {
                CommitsUntilFailure = -1;
                throw new IOException("No space left on device (fake)");
            }
            if (CommitsUntilFailure > 0)
            {
                CommitsUntilFailure--;
            }
            Committed.AddRange(_pending);
            _pending.Clear();
        }

        public void Discard() => _pending.Clear();

        public void TruncateTo(int lines) => Committed.RemoveRange(lines, Committed.Count - lines);
    }
}
