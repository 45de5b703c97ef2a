using System.Text;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// The last <c>capacity</c> characters a process wrote to one stream (up to twice that is held between trims,
/// so trimming stays cheap). Not thread-safe: <see cref="ServiceProcess"/> guards it.
/// </summary>
internal sealed class OutputTail(int capacity)
{
    private readonly StringBuilder _text = new();

    /// <summary>Every character ever appended, including those trimmed away.</summary>
    public long TotalLength { get; private set; }

    public void Append(ReadOnlySpan<char> chunk)
    {
        _text.Append(chunk);
        TotalLength += chunk.Length;
        if (_text.Length > 2 * capacity)
        {
            _text.Remove(0, _text.Length - capacity);
        }
    }

    public bool Contains(string value) => _text.ToString().Contains(value, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="value"/> occurs within the last <paramref name="count"/> characters.</summary>
    public bool ContainsInLast(string value, int count)
    {
        var start = Math.Max(0, _text.Length - count);
        return _text.ToString(start, _text.Length - start).Contains(value, StringComparison.Ordinal);
    }

    /// <summary>The last <paramref name="count"/> characters.</summary>
    public string Last(int count)
    {
        var start = Math.Max(0, _text.Length - count);
        return _text.ToString(start, _text.Length - start);
    }

    public override string ToString() => Last(capacity);
}
