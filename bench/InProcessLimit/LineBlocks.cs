using System.Runtime.CompilerServices;

namespace Streaming.Bench.InProcessLimit;

/// <summary>A run of whole lines and where each one sits (terminator and one trailing <c>\r</c> removed).</summary>
internal sealed class LineBlock(byte[] bytes, List<(int Start, int Length)> lines)
{
    public byte[] Bytes { get; } = bytes;

    public int Count => lines.Count;

    public ReadOnlyMemory<byte> Line(int index) => Bytes.AsMemory(lines[index].Start, lines[index].Length);
}

/// <summary>Cuts a file into blocks of whole lines with Streaming's line rules.</summary>
internal static class LineBlocks
{
    public static async IAsyncEnumerable<LineBlock> ReadAsync(
        string path, int blockBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, useAsync: true);
        var carry = Array.Empty<byte>();
        while (true)
        {
            var buffer = new byte[Math.Max(blockBytes, carry.Length * 2)];
            carry.CopyTo(buffer, 0);
            var filled = carry.Length;
            int read;
            while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
            {
                filled += read;
            }
            var atEnd = filled < buffer.Length;
            var lastNewLine = buffer.AsSpan(0, filled).LastIndexOf((byte)'\n');
            var cut = atEnd ? filled : lastNewLine + 1;
            if (cut <= 0 && !atEnd)
            {
                carry = buffer[..filled]; // one line longer than the block: read more before cutting
                continue;
            }
            carry = buffer[cut..filled];
            if (cut > 0)
            {
                yield return new LineBlock(buffer, Split(buffer.AsSpan(0, cut)));
            }
            if (atEnd)
            {
                yield break;
            }
        }
    }

    private static List<(int, int)> Split(ReadOnlySpan<byte> bytes)
    {
        var lines = new List<(int, int)>(bytes.Length / 64);
        var start = 0;
        while (start < bytes.Length)
        {
            var newLine = bytes[start..].IndexOf((byte)'\n');
            var end = newLine < 0 ? bytes.Length : start + newLine;
            var length = end - start;
            if (length > 0 && bytes[end - 1] == (byte)'\r')
            {
                length--;
            }
            lines.Add((start, length));
            start = end + 1;
        }
        return lines;
    }
}
