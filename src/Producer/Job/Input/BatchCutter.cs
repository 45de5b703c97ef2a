using Streaming.Messaging.Contract;

namespace Streaming.Producer.Job.Input;

/// <summary>
/// Reads a file's bytes (never decoding them) and cuts them into batches of whole lines, written straight into a
/// message. Lines end at <c>\n</c>; one trailing <c>\r</c> is removed; a last line without a terminator counts.
/// A batch ends after <see cref="CutSettings.BatchLines"/> lines, or before a line that would take its bytes past
/// <see cref="CutSettings.BatchBytes"/>. Both rules look only at the file's bytes, so cutting again from a recorded
/// batch start gives the same batches. A line over the limit is skipped in pieces, never held whole.
/// Standard input adds one rule, by the clock (<c>batchWait</c>): a batch goes out once it has waited that long since
/// its first line for the next one, full or not, so a slow writer's lines are not held back for a batch that may fill
/// only minutes later. Its batches are kept in memory, never cut again, so that rule need not be repeatable.
/// </summary>
internal sealed class BatchCutter
{
    private const byte NewLine = (byte)'\n';
    private const byte CarriageReturn = (byte)'\r';

    private readonly Stream _input;
    private readonly CutSettings _settings;
    private readonly Guid _jobId;
    private readonly int _fullBufferBytes;
    private readonly TimeSpan? _batchWait;
    private readonly TimeProvider _time;
    private Task<int>? _pendingRead;  // a read that outlived a batch's wait: it goes on filling the buffer where it began
    private byte[] _buffer;
    private int _position;
    private int _end;
    private long _bufferOffset;
    private bool _endOfInput;

    /// <summary>The smallest buffer a cutter starts with.</summary>
    public const int MinBufferBytes = 16 * 1024;

    /// <param name="input">The file, positioned at <paramref name="startOffset"/> (the start of a batch).</param>
    /// <param name="expectedBytes">How many bytes the input is expected to hold from there (null: unknown). A small
    /// file gets a buffer its size, not a fresh megabyte on the large object heap (which only a full collection frees)
    /// per file. The buffer grows to the full size when the file turns out longer.</param>
    /// <param name="batchWait">Standard input only: how long a batch waits for its next line after its first one
    /// (null: until it is full or the input ends, which a file's cuts must do to be repeatable).</param>
    /// <param name="time">The clock of <paramref name="batchWait"/>.</param>
    public BatchCutter(
        Stream input, CutSettings settings, Guid jobId, long startOffset, long nextSequence, long nextLine, long? expectedBytes = null,
        TimeSpan? batchWait = null, TimeProvider? time = null)
    {
        _batchWait = batchWait;
        _time = time ?? TimeProvider.System;
        _input = input;
        _settings = settings;
        _jobId = jobId;
        _fullBufferBytes = Math.Max(1024 * 1024, settings.BatchBytes + 2);
        _buffer = new byte[expectedBytes is { } expected
            ? (int)Math.Clamp(expected + 2, MinBufferBytes, _fullBufferBytes)
            : _fullBufferBytes];
        _bufferOffset = startOffset;
        NextSequence = nextSequence;
        NextLine = nextLine;
    }

    public long NextSequence { get; private set; }

    public long NextLine { get; private set; }

    /// <summary>File offset of the next byte to cut.</summary>
    public long Offset => _bufferOffset + _position;

    /// <summary>Cuts the next batch into <paramref name="writer"/>; null at the end of the file.</summary>
    public async ValueTask<CutBatch?> CutAsync(MessageWriter writer, CancellationToken cancellationToken)
    {
        writer.Reset();
        var startOffset = Offset;
        var firstLine = NextLine;
        var lines = 0;
        long lineBytes = 0;
        long firstLineAt = 0;
        while (lines < _settings.BatchLines)
        {
            if (CutBufferedLines(writer, ref lines, ref lineBytes))
            {
                break;
            }
            // The next line is not whole in the buffer (or needs the over-limit rules): one line the careful way.
            if (lines > 0)
            {
                var budget = _settings.BatchBytes - lineBytes;
                if (budget < 0 || !await NextLineFitsAsync((int)budget, firstLineAt, cancellationToken))
                {
                    break;
                }
            }
            var length = await CutLineAsync(writer, cancellationToken);
            if (length < 0)
            {
                break;
            }
            if (lines == 0)
            {
                firstLineAt = _time.GetTimestamp();
            }
            lines++;
            lineBytes += length;
            NextLine++;
        }
        if (lines == 0)
        {
            return null;
        }
        var header = new BatchHeader(_jobId, NextSequence, firstLine, lines, 0, lines);
        var body = writer.Complete(MessageKind.Batch, header);
        return new CutBatch(NextSequence++, firstLine, lines, startOffset, Offset, body);
    }

    /// <summary>
    /// The fast path: cuts the lines that lie whole in the buffer, as long as they fit the batch, without awaiting.
    /// Returns true when the batch is full; false when the next line needs <see cref="CutLineAsync"/> (it is not
    /// whole in the buffer, it is over the line limit, or it would be the batch's first line and must go in anyway).
    /// Cuts exactly what the slow path would.
    /// </summary>
    private bool CutBufferedLines(MessageWriter writer, ref int lines, ref long lineBytes)
    {
        while (lines < _settings.BatchLines)
        {
            var chunk = _buffer.AsSpan(_position, _end - _position);
            if (lines == 0)
            {
                return false;
            }
            var budget = _settings.BatchBytes - lineBytes;
            if (budget < 0)
            {
                return true;
            }
            var searched = (int)Math.Min(chunk.Length, budget + 1);
            var newLine = chunk[..searched].IndexOf(NewLine);
            if (newLine < 0)
            {
                // No terminator within the budget: the line does not fit, unless the buffer simply ends first.
                return chunk.Length > budget;
            }
            if (newLine > _settings.MaxLineBytes)
            {
                return false;
            }
            var line = chunk[..newLine];
            writer.WriteEntry(LineFlag.Data, line.Length > 0 && line[^1] == CarriageReturn ? line[..^1] : line);
            _position += newLine + 1;
            lines++;
            lineBytes += newLine;
            NextLine++;
        }
        return true;
    }

    /// <summary>True when the next line exists and its raw length is at most <paramref name="budget"/> bytes. Reads no
    /// further than it must to tell: a pipe (standard input) gives what its writer has written so far, and a batch whose
    /// next line is already whole must go out now, not once a batch's budget more has come. False as well when the
    /// batch's wait since its first line (at <paramref name="firstLineAt"/>) ends before the line is whole.</summary>
    private async ValueTask<bool> NextLineFitsAsync(int budget, long firstLineAt, CancellationToken cancellationToken)
    {
        var searched = 0;
        while (true)
        {
            var available = _end - _position;
            var window = Math.Min(available, budget + 1);
            if (_buffer.AsSpan(_position + searched, window - searched).IndexOf(NewLine) >= 0)
            {
                return true;
            }
            if (available > budget || _endOfInput)
            {
                return _endOfInput && available > 0 && available <= budget;
            }
            searched = window;
            if (!await FillAsync(available + 1, WaitLeft(firstLineAt), cancellationToken))
            {
                return false;
            }
        }
    }

    /// <summary>What is left of the batch's wait for its next line (null: no wait, until the input gives it).</summary>
    private TimeSpan? WaitLeft(long firstLineAt) =>
        _batchWait is { } wait ? wait - _time.GetElapsedTime(firstLineAt) : null;

    /// <summary>Appends the next line as an entry; returns its raw length, or -1 at the end of the file.</summary>
    private async ValueTask<long> CutLineAsync(MessageWriter writer, CancellationToken cancellationToken)
    {
        await FillAsync(1, cancellationToken);
        if (_position == _end)
        {
            return -1;
        }
        writer.BeginEntry(LineFlag.Data);
        long raw = 0;
        var overLimit = false;
        while (true)
        {
            var chunk = _buffer.AsSpan(_position, _end - _position);
            var newLine = chunk.IndexOf(NewLine);
            var piece = newLine >= 0 ? chunk[..newLine] : chunk;
            raw += piece.Length;
            if (!overLimit && raw > _settings.MaxLineBytes + 1L)
            {
                overLimit = true;
                writer.ResetOpenEntry(LineFlag.OverLimit);
            }
            if (!overLimit)
            {
                writer.Append(piece);
            }
            _position += piece.Length;
            if (newLine >= 0)
            {
                _position++;
                break;
            }
            await FillAsync(1, cancellationToken);
            if (_position == _end)
            {
                break;
            }
        }
        if (!overLimit && writer.OpenEntryLength > 0 && writer.OpenEntryLastByte == CarriageReturn)
        {
            writer.TrimOpenEntry(1);
        }
        if (!overLimit && writer.OpenEntryLength > _settings.MaxLineBytes)
        {
            writer.ResetOpenEntry(LineFlag.OverLimit);
        }
        writer.EndEntry();
        return raw;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available from the position, unless the file ends first.</summary>
    private async ValueTask FillAsync(int count, CancellationToken cancellationToken) =>
        await FillAsync(count, wait: null, cancellationToken);

    /// <summary>As <see cref="FillAsync(int, CancellationToken)"/>, but false once <paramref name="wait"/> has passed
    /// first: the read under way is kept, and the next fill takes what it brings, in the place of the buffer where it
    /// began (nothing moves the buffer's bytes while a read is under way).</summary>
    private async ValueTask<bool> FillAsync(int count, TimeSpan? wait, CancellationToken cancellationToken)
    {
        while (_end - _position < count && !_endOfInput)
        {
            if (_pendingRead is null)
            {
                MakeRoom();
                _pendingRead = _input.ReadAsync(_buffer.AsMemory(_end), cancellationToken).AsTask();
            }
            if (wait is { } left && !_pendingRead.IsCompleted)
            {
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }
                try
                {
                    await _pendingRead.WaitAsync(left, _time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    return false;
                }
            }
            var read = await _pendingRead.WaitAsync(cancellationToken);
            _pendingRead = null;
            if (read == 0)
            {
                _endOfInput = true;
            }
            _end += read;
        }
        return true;
    }

    /// <summary>Moves the bytes not cut yet to the buffer's start, and grows it when they fill it.</summary>
    private void MakeRoom()
    {
        if (_position > 0)
        {
            Buffer.BlockCopy(_buffer, _position, _buffer, 0, _end - _position);
            _bufferOffset += _position;
            _end -= _position;
            _position = 0;
        }
        if (_end == _buffer.Length)
        {
            // The file is longer than expected (it grew, or its length was not known): the full-size buffer, which
            // always has room for a line's next byte. Growing only when full matters: a small file asked for a whole
            // batch's budget of bytes must reach its end in its own small buffer, not in a fresh megabyte.
            var bigger = new byte[_fullBufferBytes];
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            _buffer = bigger;
        }
    }
}
