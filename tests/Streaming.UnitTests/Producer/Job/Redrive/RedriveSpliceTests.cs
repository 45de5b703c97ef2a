using System.Text;
using CsCheck;
using Streaming.Producer.Job.Output;
using Streaming.Producer.Job.Redrive;

namespace Streaming.UnitTests.Producer.Job.Redrive;

/// <summary>The pure parts of <c>redrive</c>: reading the errors file, splicing the output, merging the errors left.</summary>
public sealed class RedriveSpliceTests
{
    private static readonly Gen<byte[]> s_line = Gen.Byte.Where(b => b != (byte)'\n').Array[0, 40];

    /// <summary>Old output lines, the indices redriven (sorted), and the redriven lines' new output.</summary>
    private static readonly Gen<(byte[][] Old, int[] Redriven, byte[][] New)> s_outputs =
        from old in s_line.Array[0, 60]
        from redriven in Gen.Int[0, Math.Max(0, old.Length - 1)].HashSet[0, old.Length]
        from fresh in s_line.Array[redriven.Count]
        select (old, redriven.Order().ToArray(), fresh);

    [Fact]
    public void Splice_AnyOutputAndRedrivenLines_ReplacesExactlyThoseLines()
    {
        s_outputs.Sample(c =>
        {
            var expected = c.Old.ToArray();
            for (var j = 0; j < c.Redriven.Length; j++)
            {
                expected[c.Redriven[j]] = c.New[j];
            }
            using var output = new MemoryStream();

            var lines = OutputSplice.Splice(
                c.Redriven.Select(i => (long)i + 1), Lines(c.Old, bufferBytes: 7), Lines(c.New, bufferBytes: 5), output);

            Assert.Equal(c.Old.Length, lines);
            Assert.Equal(Join(expected), output.ToArray());
        }, iter: 500);
    }

    [Fact]
    public void Splice_OutputShorterThanALineToRedrive_ThrowsOutputMismatch()
    {
        using var output = new MemoryStream();

        var ex = Assert.Throws<OutputMismatchException>(() =>
            OutputSplice.Splice([3], Lines(["a"u8.ToArray(), "b"u8.ToArray()]), Lines(["B"u8.ToArray()]), output));

        Assert.Contains("before line 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Splice_RedrivenOutputShorterThanTheList_ThrowsOutputMismatch()
    {
        using var output = new MemoryStream();

        Assert.Throws<OutputMismatchException>(() =>
            OutputSplice.Splice([1, 2], Lines(["a"u8.ToArray(), "b"u8.ToArray()]), Lines(["A"u8.ToArray()]), output));
    }

    [Fact]
    public void MergeErrors_AnyErrorsAndRedrivenLines_KeepsTheOthersAndRenumbersTheStillFailing()
    {
        var cases =
            from current in Gen.Long[1, 200].HashSet[0, 40]
            from redriven in Gen.Long[1, 200].HashSet[0, 40]
            from stillFailing in Gen.Int[1, Math.Max(1, redriven.Count)].HashSet[0, redriven.Count]
            select (current.Order().ToArray(), redriven.Order().ToArray(), stillFailing.Where(s => s <= redriven.Count).Order().ToArray());
        cases.Sample(c =>
        {
            var (current, redriven, stillFailing) = c;
            var expected = current.Except(redriven).Select(l => new LineError(l, "old " + l))
                .Concat(stillFailing.Select(s => new LineError(redriven[s - 1], "new " + s)))
                .OrderBy(e => e.Line)
                .ToList();

            var merged = OutputSplice.MergeErrors(
                current.Select(l => new LineError(l, "old " + l)), redriven, stillFailing.Select(s => new LineError(s, "new " + s))).ToList();

            Assert.Equal(expected, merged);
        }, iter: 500);
    }

    [Fact]
    public void Read_WellFormedEntries_GivesThemInOrder()
    {
        var entries = ErrorsFile.Read(new StringReader("{\"line\":3,\"error\":\"x\"}\n{\"line\":10,\"error\":\"y \\\"z\\\"\"}\n"), "e.jsonl").ToList();

        Assert.Equal([new LineError(3, "x"), new LineError(10, "y \"z\"")], entries);
    }

    [Theory]
    [InlineData("{\"line\":3,\"error\":\"x\"}\nnot json\n", "'e.jsonl' line 2 is not an errors entry")]
    [InlineData("{\"line\":0,\"error\":\"x\"}\n", "'e.jsonl' line 1 is not an errors entry")]
    [InlineData("{\"line\":-4,\"error\":\"x\"}\n", "'e.jsonl' line 1 is not an errors entry")]
    [InlineData("{\"line\":\"three\",\"error\":\"x\"}\n", "'e.jsonl' line 1 is not an errors entry")]
    [InlineData("{\"error\":\"x\"}\n", "'e.jsonl' line 1 is not an errors entry")]
    [InlineData("{\"line\":4}\n", "'e.jsonl' line 1 is not an errors entry")]
    [InlineData("\n", "'e.jsonl' line 1 is not an errors entry")]
    [InlineData("{\"line\":5,\"error\":\"x\"}\n{\"line\":2,\"error\":\"x\"}\n", "'e.jsonl' line 2: line 2 comes after line 5")]
    [InlineData("{\"line\":5,\"error\":\"x\"}\n{\"line\":5,\"error\":\"x\"}\n", "'e.jsonl' line 2: line 5 comes after line 5")]
    public void Read_MalformedOrOutOfOrder_ThrowsNamingTheLine(string text, string expected)
    {
        var ex = Assert.Throws<ErrorsFileException>(() => ErrorsFile.Read(new StringReader(text), "e.jsonl").ToList());

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NextLine_LinesLongerThanTheBuffer_AreCopiedWholeAndTheLastOneWithoutTerminatorCounts()
    {
        var text = Encoding.ASCII.GetBytes("0123456789abcdef\n\nxyz");
        var lines = new LineStream(new MemoryStream(text), bufferBytes: 4);
        var copies = new List<string>();
        using var copy = new MemoryStream();

        while (lines.NextLine(copy))
        {
            copies.Add(Encoding.ASCII.GetString(copy.ToArray()));
            copy.SetLength(0);
        }

        Assert.Equal(["0123456789abcdef", "", "xyz"], copies);
        Assert.Equal(3, lines.Lines);
    }

    private static LineStream Lines(byte[][] lines, int bufferBytes = 64) => new(new MemoryStream(Join(lines)), bufferBytes);

    private static byte[] Join(byte[][] lines) => [.. lines.SelectMany(l => l.Append((byte)'\n'))];
}
