namespace Streaming.Producer.Job.Redrive;

/// <summary>
/// Reads a stream line by line (lines end at <c>\n</c>; a last line without one counts) and copies or skips each line
/// through a fixed buffer: a line of any length is never held whole.
/// </summary>
internal sealed class LineStream(Stream source, int bufferBytes = 64 * 1024)
{
    private const byte NewLine = (byte)'\n';

    private readonly byte[] _buffer = new byte[bufferBytes];
    private int _position;
    private int _end;
    private bool _ended;

    /// <summary>Lines read so far.</summary>
    public long Lines { get; private set; }

    /// <summary>Copies the next line's bytes, without its <c>\n</c>, to <paramref name="destination"/> (null: skips
    /// it); false at the end of the stream.</summary>
    public bool NextLine(Stream? destination)
    {
        if (!Fill())
        {
            return false;
        }
        while (true)
        {
            var chunk = _buffer.AsSpan(_position, _end - _position);
            var newLine = chunk.IndexOf(NewLine);
            destination?.Write(newLine >= 0 ? chunk[..newLine] : chunk);
            if (newLine >= 0)
            {
                _position += newLine + 1;
                break;
            }
            _position = _end;
            if (!Fill())
            {
                break;
            }
        }
        Lines++;
        return true;
    }

    /// <summary>True when a byte is buffered after this call.</summary>
    private bool Fill()
    {
        if (_position < _end)
        {
            return true;
        }
        if (_ended)
        {
            return false;
        }
        _position = 0;
        _end = source.Read(_buffer);
        _ended = _end == 0;
        return !_ended;
    }
}
