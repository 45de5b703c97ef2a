using Streaming.Messaging.Contract;
using Streaming.Producer.Publishing;

namespace Streaming.Producer.Collecting;

/// <summary>
/// The exactly-once core of one job, with no broker and no file in it: the next batch to write (<see cref="NextSequence"/>,
/// its first line and input offset), the window of batches the publisher may run ahead, the results held for reordering,
/// and the deduplication. Every result goes through <see cref="Accept"/>, which writes the batches whose turn has come
/// to an <see cref="IOutputSink"/> and says what became of the result.
/// </summary>
/// <remarks>
/// A batch reaches the sink whole or not at all: its lines go to the sink, then <see cref="IOutputSink.Commit"/>. When
/// the commit throws (a full disk), nothing advanced and nothing held was let go, so the same call can be made again.
/// Not thread-safe: its owner serializes the calls.
/// </remarks>
internal sealed class JobState(
    Guid jobId, BatchLedger ledger, int window, long heldByteBudget, IOutputSink output, JobCheckpoint? resumeFrom = null)
{
    /// <summary>Output lines may be longer than input lines; a message cannot exceed the broker's 16 MiB anyway.</summary>
    public const int MaxResultLineBytes = 16 * 1024 * 1024;

    private readonly ReorderBuffer _reorder = new();
    private long? _totalBatches;

    public long NextSequence { get; private set; } = resumeFrom?.NextSequence ?? 0;

    /// <summary>The first line of <see cref="NextSequence"/>: every line before it is written.</summary>
    public long NextLine { get; private set; } = resumeFrom?.NextLine ?? 1;

    /// <summary>Where the input's unwritten part starts.</summary>
    public long InputOffsetWritten { get; private set; } = resumeFrom?.InputOffset ?? 0;

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
    public bool IsInWindow(long sequence) => sequence < NextSequence + window;

    /// <summary>The file has <paramref name="batches"/> batches in all.</summary>
    public void SetTotal(long batches) => _totalBatches = batches;

    /// <summary>Writes, holds or drops one result, then writes whatever held batches it made complete.</summary>
    /// <exception cref="IOException">A batch could not be written: what advanced before it stays, the rest is as it was.</exception>
    public AcceptOutcome Accept(LineResult result)
    {
        var outcome = Admit(result);
        WriteHeldInTurn();
        return outcome;
    }

    /// <summary>Writes the held batches whose turn has come (again after a failed write).</summary>
    /// <exception cref="IOException">A batch could not be written; it stays held.</exception>
    public void WriteHeldInTurn()
    {
        while (_reorder.TryPeekComplete(NextSequence, out var pending))
        {
            foreach (var part in pending.PartsInOrder)
            {
                output.Append(part);
            }
            Commit();
            _reorder.Remove(NextSequence);
            pending.Release();
            ledger.TryGet(NextSequence, out var completed);
            Advance(completed);
        }
    }

    /// <summary>
    /// Gives up on batch <paramref name="sequence"/> when it is the next one to write: what is held of it is written,
    /// every other line of it fails with <paramref name="reason"/>. False when it is not the next one.
    /// </summary>
    /// <exception cref="IOException">It could not be written; nothing changed.</exception>
    public bool FailBatch(long sequence, ReadOnlySpan<byte> reason)
    {
        if (sequence != NextSequence || !ledger.TryGet(sequence, out var batch))
        {
            return false;
        }
        var line = 0;
        var held = _reorder.TryGet(sequence, out var pending) ? pending : null;
        foreach (var part in held?.PartsInOrder ?? [])
        {
            for (; line < part.Header.PartStart; line++)
            {
                output.AppendFailure(batch.FirstLine + line, reason);
            }
            output.Append(part);
            line = part.Header.PartStart + part.Header.PartCount;
        }
        for (; line < batch.LineCount; line++)
        {
            output.AppendFailure(batch.FirstLine + line, reason);
        }
        Commit();
        if (held is not null)
        {
            _reorder.Remove(sequence);
            held.Release();
        }
        Advance(batch);
        WriteHeldInTurn();
        return true;
    }

    private AcceptOutcome Admit(LineResult result)
    {
        var header = result.Header;
        if (header.JobId != jobId)
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
        if (!ledger.TryGet(header.Sequence, out var batch)
            || batch.FirstLine != header.FirstLine || batch.LineCount != header.BatchLineCount)
        {
            return Drop("it does not match the batch this run published under that sequence");
        }
        try
        {
            if (header.Sequence == NextSequence && header.IsWholeBatch)
            {
                output.Append(result);
                Commit();
                if (_reorder.TryGet(header.Sequence, out var parts))
                {
                    _reorder.Remove(header.Sequence);     // the whole result holds every part held of it
                    parts.Release();
                }
                Advance(batch);
                return AcceptOutcome.Written;
            }
            if (_reorder.HeldBytes + result.Body.Length > heldByteBudget)
            {
                // Only forged or duplicated parts get here: the results of a window of batches fit. A real one dropped
                // comes again with the batch's retransmission.
                return Drop("holding it would pass the reorder buffer's byte budget");
            }
            return _reorder.Add(result, MaxResultLineBytes) ? AcceptOutcome.Held : Duplicate();
        }
        catch (MessageFormatException ex)
        {
            output.Discard();
            return AcceptOutcome.Malformed("malformed result: " + ex.Message);
        }
    }

    private void Commit()
    {
        try
        {
            output.Commit();
        }
        catch
        {
            output.Discard();
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
        BatchWritten?.Invoke(batch);
    }
}
