using System.Text;
using Streaming.IntegrationTests.Pipeline;

namespace Streaming.IntegrationTests.Redrive;

/// <summary>The edge-case file with markers put in front of chosen lines, which a <c>throw:MARKER</c> consumer fails.</summary>
internal static class RedriveInput
{
    public const string Marker = "REDRIVE";

    /// <summary>Every <paramref name="every"/>-th line (from line 1) starts with <see cref="Marker"/>, and every
    /// <paramref name="stuckEvery"/>-th of those (when given) with <c>REDRIVE STUCK</c> too.</summary>
    public static byte[] Create(int fillerLines, int every, int? stuckEvery = null)
    {
        var lines = Split(EdgeCaseInput.Create(fillerLines));
        var output = new MemoryStream();
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0)
            {
                output.WriteByte((byte)'\n');
            }
            if (i % every == 0)
            {
                output.Write(Encoding.ASCII.GetBytes(stuckEvery is { } stuck && i / every % stuck == 0 ? "REDRIVE STUCK " : "REDRIVE "));
            }
            output.Write(lines[i]);
        }
        return output.ToArray();
    }

    /// <summary>The 1-based numbers of the lines of <paramref name="content"/> that hold <paramref name="marker"/>.</summary>
    public static List<long> LinesWith(byte[] content, string marker) =>
        ReferenceOutput.SplitLines(content)
            .Select((line, index) => (line, index))
            .Where(l => l.line.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker)) >= 0)
            .Select(l => (long)l.index + 1)
            .ToList();

    public static bool Holds(byte[] line, string marker) => line.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker)) >= 0;

    /// <summary>The raw pieces between <c>\n</c>s (the last one without a terminator, possibly empty).</summary>
    private static List<byte[]> Split(byte[] content)
    {
        var pieces = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == '\n')
            {
                pieces.Add(content[start..i]);
                start = i + 1;
            }
        }
        pieces.Add(content[start..]);
        return pieces;
    }
}
