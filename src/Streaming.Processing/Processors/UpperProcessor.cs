using System.Buffers;
using System.Text;

namespace Streaming.Consumer.Processors;

/// <summary>
/// <c>upper</c>: the line decoded as UTF-8 (strictly), upper-cased one UTF-16 char at a time with the invariant
/// culture, encoded as UTF-8. Char by char means no special casing (<c>ß</c> stays <c>ß</c>) and characters
/// outside the BMP, whose surrogates <see cref="char.ToUpperInvariant"/> leaves alone, are copied unchanged.
/// </summary>
internal sealed class UpperProcessor : ILineProcessor
{
    public const string Name = "upper";
    public const string InvalidUtf8Reason = "line is not valid UTF-8";

    private const int MaxUtf8BytesPerScalar = 4;

    public static UpperProcessor Instance { get; } = new();

    public ValueTask ProcessAsync(ReadOnlyMemory<byte> line, IBufferWriter<byte> output, CancellationToken cancellationToken)
    {
        ToUpper(line.Span, output);
        return ValueTask.CompletedTask;
    }

    private static void ToUpper(ReadOnlySpan<byte> source, IBufferWriter<byte> output)
    {
        // Sized for the common case (ASCII keeps its length); a 2-byte char can grow to 3, so refill when short.
        var destination = output.GetSpan(source.Length);
        var written = 0;
        while (!source.IsEmpty)
        {
            if (destination.Length - written < MaxUtf8BytesPerScalar)
            {
                output.Advance(written);
                destination = output.GetSpan(source.Length + MaxUtf8BytesPerScalar);
                written = 0;
            }

            if (source[0] < 0x80)
            {
                // Converts the ASCII run up to the next non-ASCII byte or the end of the room left.
                Ascii.ToUpper(source, destination[written..], out var asciiCount);
                source = source[asciiCount..];
                written += asciiCount;
                continue;
            }

            // Rejects overlong forms, encoded surrogates, truncated sequences and stray continuation bytes.
            if (Rune.DecodeFromUtf8(source, out var rune, out var consumed) != OperationStatus.Done)
            {
                throw new InvalidDataException(InvalidUtf8Reason);
            }
            if (rune.IsBmp)
            {
                var upper = new Rune(char.ToUpperInvariant((char)rune.Value));
                written += upper.EncodeToUtf8(destination[written..]);
            }
            else
            {
                source[..consumed].CopyTo(destination[written..]);
                written += consumed;
            }
            source = source[consumed..];
        }
        output.Advance(written);
    }
}
