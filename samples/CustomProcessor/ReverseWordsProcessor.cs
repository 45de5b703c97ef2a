using System.Buffers;
using System.Text.Unicode;
using Streaming.Consumer.Processors;

namespace Streaming.Samples.CustomProcessor;

/// <summary>
/// A user processor: writes the line's space-separated words in reverse order. One instance per concurrency slot,
/// so the reusable buffer needs no locking.
/// </summary>
internal sealed class ReverseWordsProcessor : ILineProcessor
{
    private readonly List<Range> _words = [];

    public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        var bytes = line.Span;
        if (!Utf8.IsValid(bytes))
        {
            // Throwing fails this line alone: it is listed in <name>.errors.jsonl with this message.
            throw new InvalidDataException("line is not valid UTF-8");
        }
        _words.Clear();
        foreach (var word in bytes.Split((byte)' '))
        {
            _words.Add(word);
        }
        for (var i = _words.Count - 1; i >= 0; i--)
        {
            output.Write(bytes[_words[i]]);
            if (i > 0)
            {
                output.Write(" "u8);
            }
        }
        return ValueTask.CompletedTask;
    }
}
