using Streaming.Messaging.Contract;
using Streaming.Producer.Job.Checkpoints;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Core;

/// <summary>
/// The exactly-once core of one job, with no broker and no file in it: the next batch to write (<see cref="NextSequence"/>,
/// its first line and input offset), the one window of batches the publisher may run ahead (<see cref="JobWindow"/>),
/// the ledger of the batches out, the results held for reordering, the deduplication, and the checkpoint that all of
/// this makes (<see cref="Snapshot"/>). Every result goes through <see cref="Accept"/>, which writes the batches whose
/// turn has come to an <see cref="IOutputSink"/> and says what became of the result.
/// </summary>
/// <remarks>
/// A batch reaches the sink whole or not at all: its lines go to the sink, then <see cref="IOutputSink.Commit"/>. When
/// the commit throws (a full disk), nothing advanced and nothing held was let go, so the same call can be made again.
/// Not thread-safe, except <see cref="IsInWindow"/>, <see cref="Record"/> and <see cref="TryGetBatch"/>: its owner
/// serializes the other calls.
/// </remarks>
internal sealed class JobState
{
    /// <summary>Output lines may be longer than input lines; a message cannot exceed the broker's 16 MiB anyway.</summary>
    public const int MaxResultLineBytes = 16 * 1024 * 1024;

    private readonly JobDescriptor _job;
    private readonly JobWindow _window;
    private readonly IOutputSink _output;
    private readonly ReorderBudget _budget;
    private readonly BatchLedger _ledger;
    private readonly ReorderBuffer _reorder = new();
    private long _charged;
    private long? _refusedFrom;
    private long? _totalBatches;

    /// <param name="heldBytes">The budget of the bytes of results held for reordering, shared by every job of the process;
    /// by default one of this job's own, a window of results, each at most one broker message.</param>
    public JobState(JobDescriptor job, JobWindow window, IOutputSink output, JobCheckpoint? resumeFrom = null, ReorderBudget? heldBytes = null)
    {
        _job = job;
        _window = window;
        _output = output;
        _budget = heldBytes ?? new ReorderBudget((long)window.Size * MaxResultLineBytes);
        _ledger = new BatchLedger(window.Size);
        NextSequence = resumeFrom?.NextSequence ?? 0;
        NextLine = resumeFrom?.NextLine ?? 1;
        InputOffsetWritten = resumeFrom?.InputOffset ?? 0;
    }

    public Guid JobId => _job.JobId;

    public long NextSequence { get; private set; }

    /// <summary>The first line of <see cref="NextSequence"/>: every line before it is written.</summary>
    public long NextLine { get; private set; }

    /// <summary>Where the input's unwritten part starts.</summary>
    public long InputOffsetWritten { get; private set; }

    public long Duplicates { get; private set; }

    public long Dropped { get; private set; }

    /// <summary>Batches of which results are held for reordering.</summary>
    public int Held => _reorder.Count;

    public long HeldBytes => _reorder.HeldBytes;

    /// <summary>True once every batch of the file (<see cref="SetTotal"/>) is written.</summary>
    public bool AllWritten => _totalBatches is { } total && NextSequence >= total;

    /// <summary>Raised after each batch is written (whole, in order), with its ledger entry.</summary>
    public event Action<BatchLedger.Entry>? BatchWritten;

    /// <summary>Whether the publisher may publish batch <paramref name="sequence"/> now.</summary>
    public bool IsInWindow(long sequence) => _window.Contains(sequence);

    /// <summary>Batch <paramref name="batch"/> is about to be published at <paramref name="publishedAt"/> (a
    /// <see cref="TimeProvider"/> timestamp): its results are accepted from now on.</summary>
    public void Record(CutBatch batch, long publishedAt) => _ledger.Record(batch, publishedAt);

    /// <summary>Where batch <paramref name="sequence"/> sits in the input, while it is inside the window.</summary>
    public bool TryGetBatch(long sequence, out BatchLedger.Entry batch) => _ledger.TryGet(sequence, out batch);

    /// <summary>The checkpoint of what is written now: everything before <see cref="NextSequence"/> is in the output
    /// (of the lengths the sink has committed), and a restart publishes again from <see cref="InputOffsetWritten"/>.
    /// The input's fingerprint and the results queue are the caller's to add: it reads the file, and asks the inbox.</summary>
    public JobCheckpoint Snapshot()
    {
        var written = _output.Lengths;
        return new JobCheckpoint(
            JobCheckpoint.CurrentSchema, _job.JobId, _job.Files.InputPath, _job.InputLength, _job.InputLastWriteUtc,
            _job.Cut.BatchLines, _job.Cut.BatchBytes, _job.Cut.MaxLineBytes,
            NextSequence, NextLine, InputOffsetWritten,
            written.Output, written.Errors, written.FailedLines,
            _job.StartedAt, _job.TraceId, _job.RootSpanId,
            OutputCompression: _job.Files.Compression.CheckpointName(), Pipeline: _job.Pipeline);
    }

    /// <summary>The file has <paramref name="batches"/> batches in all.</summary>
    public void SetTotal(long batches) => _totalBatches = batches;

    /// <summary>Writes, holds or drops one result, then writes whatever held batches it made complete.</summary>
    /// <exception cref="IOException">A batch could not be written (or anything else <see cref="StorageFault.Is"/> names):
    /// what advanced before it stays, the result is held (unless it was dropped or a duplicate), and so is every batch whose
    /// turn has come: <see cref="WriteHeldInTurn"/> tries again.</exception>
    public AcceptOutcome Accept(LineResult result)
    {
        var outcome = Admit(result, writeInTurn: true);
        WriteHeldInTurn();
        return outcome;
    }

    /// <summary>Holds or drops one result without writing anything, even when its turn has come: while the output cannot
    /// be written, <see cref="WriteHeldInTurn"/> writes it once it can.</summary>
    public AcceptOutcome Hold(LineResult result) => Admit(result, writeInTurn: false);

    /// <summary>Writes the held batches whose turn has come (again after a failed write).</summary>
    /// <exception cref="IOException">A batch could not be written; it stays held.</exception>
    public void WriteHeldInTurn()
    {
        while (_reorder.TryPeekComplete(NextSequence, out var pending))
        {
            foreach (var part in pending.PartsInOrder)
            {
                _output.Append(part);
            }
            Commit();
            _reorder.Remove(NextSequence);
            pending.Release();
            Recharge();
            _ledger.TryGet(NextSequence, out var completed);
            Advance(completed);
        }
    }

    /// <summary>True once, when the next batch to write is one whose result was not held for the budget's sake (or one
    /// after it): the batches out are to be published again now, rather than after the retransmission timeout.</summary>
    public bool TakeResendNeeded()
    {
        if (_refusedFrom is { } refused && refused <= NextSequence && !_reorder.Contains(NextSequence))
        {
            _refusedFrom = null;
            return true;
        }
        return false;
    }

    /// <summary>Lets go of every result held (the job is over, whatever became of it) and gives its bytes back to the budget.</summary>
    public void ReleaseHeld()
    {
        foreach (var sequence in _reorder.Sequences.ToList())
        {
            _reorder.TryGet(sequence, out var pending);
            _reorder.Remove(sequence);
            pending.Release();
        }
        Recharge();
    }

    /// <summary>
    /// Gives up on batch <paramref name="sequence"/> when it is the next one to write: what is held of it is written,
    /// every other line of it fails with <paramref name="reason"/>. False when it is not the next one.
    /// </summary>
    /// <exception cref="IOException">It could not be written; nothing changed.</exception>
    public bool FailBatch(long sequence, ReadOnlySpan<byte> reason)
    {
        if (sequence != NextSequence || !_ledger.TryGet(sequence, out var batch))
        {
            return false;
        }
        var line = 0;
        var held = _reorder.TryGet(sequence, out var pending) ? pending : null;
        foreach (var part in held?.PartsInOrder ?? [])
        {
            for (; line < part.Header.PartStart; line++)
            {
                _output.AppendFailure(batch.FirstLine + line, reason);
            }
            _output.Append(part);
            line = part.Header.PartStart + part.Header.PartCount;
        }
        for (; line < batch.LineCount; line++)
        {
            _output.AppendFailure(batch.FirstLine + line, reason);
        }
        Commit();
        if (held is not null)
        {
            _reorder.Remove(sequence);
            held.Release();
            Recharge();
        }
        Advance(batch);
        WriteHeldInTurn();
        return true;
    }

    private AcceptOutcome Admit(LineResult result, bool writeInTurn)
    {
        var header = result.Header;
        if (Rejection(header, out var batch) is { } rejected)
        {
            return rejected;
        }
        var inTurn = header.Sequence == NextSequence;
        try
        {
            if (inTurn && header.IsWholeBatch && writeInTurn)
            {
                return WriteInTurn(result, batch);
            }
            if (inTurn)
            {
                return HoldInTurn(result) ? AcceptOutcome.Held : Duplicate();
            }
            return HoldEarly(result);
        }
        catch (MessageFormatException ex)
        {
            _output.Discard();
            return AcceptOutcome.Malformed("malformed result: " + ex.Message);
        }
    }

    /// <summary>Why a result is not this run's to take (another job, written already, outside the window, not the
    /// batch published under its sequence); null, with the batch it answers, when it is.</summary>
    private AcceptOutcome? Rejection(BatchHeader header, out BatchLedger.Entry batch)
    {
        batch = default;
        if (header.JobId != _job.JobId)
        {
            return Drop("it names another job");
        }
        if (header.Sequence < NextSequence)
        {
            return Duplicate();
        }
        if (!IsInWindow(header.Sequence))
        {
            return Drop("it is beyond the window, so it was not published by this run");
        }
        if (!_ledger.TryGet(header.Sequence, out batch)
            || batch.FirstLine != header.FirstLine || batch.LineCount != header.BatchLineCount)
        {
            return Drop("it does not match the batch this run published under that sequence");
        }
        return null;
    }

    /// <summary>The whole result of the batch whose turn it is: written and committed at once.</summary>
    private AcceptOutcome WriteInTurn(LineResult result, BatchLedger.Entry batch)
    {
        _output.Append(result);
        try
        {
            Commit();
        }
        catch (Exception ex) when (StorageFault.Is(ex))
        {
            HoldInTurn(result);
            throw;
        }
        if (_reorder.TryGet(result.Header.Sequence, out var parts))
        {
            _reorder.Remove(result.Header.Sequence);     // the whole result holds every part held of it
            parts.Release();
            Recharge();
        }
        Advance(batch);
        return AcceptOutcome.Written;
    }

    /// <summary>A result that came before its batch's turn: held while the reorder buffer's byte budget allows.</summary>
    private AcceptOutcome HoldEarly(LineResult result)
    {
        if (!_budget.TryTake(result.Body.Length))
        {
            // It comes again: the batches out are published again once the job gets to it (TakeResendNeeded), or
            // at the retransmission timeout. The result the job needs next is always held, so every job advances.
            _refusedFrom = Math.Min(_refusedFrom ?? long.MaxValue, result.Header.Sequence);
            return Drop("holding it would pass the reorder buffer's byte budget");
        }
        _charged += result.Body.Length;
        try
        {
            return _reorder.Add(result) ? AcceptOutcome.Held : Duplicate();
        }
        finally
        {
            Recharge();
        }
    }

    /// <summary>Holds (part of) the batch whose turn it is, whatever the budget says; false when it adds nothing.</summary>
    private bool HoldInTurn(LineResult result)
    {
        try
        {
            return _reorder.Add(result);
        }
        finally
        {
            Recharge();
        }
    }

    /// <summary>Brings what this job has taken of the budget to what it holds now.</summary>
    private void Recharge()
    {
        var held = _reorder.HeldBytes;
        if (held > _charged)
        {
            _budget.Take(held - _charged);
        }
        else if (held < _charged)
        {
            _budget.Return(_charged - held);
        }
        _charged = held;
    }

    private void Commit()
    {
        try
        {
            _output.Commit();
        }
        catch
        {
            _output.Discard();
            throw;
        }
    }

    private AcceptOutcome Duplicate()
    {
        Duplicates++;
        return AcceptOutcome.Duplicate;
    }

    private AcceptOutcome Drop(string reason)
    {
        Dropped++;
        return AcceptOutcome.Dropped(reason);
    }

    private void Advance(BatchLedger.Entry batch)
    {
        NextSequence++;
        NextLine += batch.LineCount;
        InputOffsetWritten = batch.EndOffset;
        _window.Advance(NextSequence, batch.PublishedAt);
        BatchWritten?.Invoke(batch);
    }
}
