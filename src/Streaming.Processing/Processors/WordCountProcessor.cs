using System.Buffers;
using System.Globalization;

namespace Streaming.Consumer.Processors;

/// <summary><c>wordcount</c>: the number of words, in decimal, over raw bytes (no decoding).</summary>
internal sealed class WordCountProcessor : ILineProcessor
{
    public const string Name = "wordcount";

    private const int MaxDigits = 10;

    // ASCII whitespace minus '\n', which never occurs inside a line. Any other byte (NUL, non-ASCII) is part of a word.
    private static readonly SearchValues<byte> s_separators = SearchValues.Create(" \t\v\f\r"u8);

    public static WordCountProcessor Instance { get; } = new();

    public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        var count = CountWords(line.Span);
        var destination = output.GetSpan(MaxDigits);
        count.TryFormat(destination, out var written, provider: CultureInfo.InvariantCulture);
        output.Advance(written);
        return ValueTask.CompletedTask;
    }

    internal static int CountWords(ReadOnlySpan<byte> line)
    {
        var count = 0;
        while (true)
        {
            var wordStart = line.IndexOfAnyExcept(s_separators);
            if (wordStart < 0)
            {
                return count;
            }
            count++;
            line = line[wordStart..];
            var wordEnd = line.IndexOfAny(s_separators);
            if (wordEnd < 0)
            {
                return count;
            }
            line = line[wordEnd..];
        }
    }
}
