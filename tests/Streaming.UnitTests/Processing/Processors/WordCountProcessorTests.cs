using System.Text;
using Streaming.Consumer.Processors;
using static Streaming.UnitTests.Processing.Processors.ProcessorRun;

namespace Streaming.UnitTests.Processing.Processors;

public sealed class WordCountProcessorTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData(" ", 0)]
    [InlineData(" \t\v\f\r ", 0)]
    [InlineData("one", 1)]
    [InlineData("one two", 2)]
    [InlineData("  one   two  ", 2)]
    [InlineData("\tone\t\ttwo\t", 2)]
    [InlineData("a\tb\vc\fd\re f", 6)]
    [InlineData("a\r", 1)]
    [InlineData("\ra", 1)]
    [InlineData("a\rb", 2)]
    [InlineData("x\v\v\vy\f\f\fz", 3)]
    [InlineData("don't stop-me now!", 3)]
    [InlineData("ünïcödé wörds", 2)]
    public async Task ProcessAsync_Text_CountsWordsBetweenAsciiWhitespaceRuns(string line, int expected)
    {
        // Arrange
        var bytes = Encoding.UTF8.GetBytes(line);

        // Act
        var output = await OutputAsync(WordCountProcessor.Instance, bytes);

        // Assert
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(output));
    }

    [Theory]
    [InlineData("00", 1)]
    [InlineData("61 00 62", 1)]
    [InlineData("61 20 00 20 62", 3)]
    [InlineData("ff", 1)]
    [InlineData("ff 20 fe", 2)]
    [InlineData("61 c2 a0 62", 1)]
    [InlineData("61 a0 62", 1)]
    [InlineData("61 85 62", 1)]
    [InlineData("61 1c 62 1f 63", 1)]
    [InlineData("61 0a 62", 1)]
    public async Task ProcessAsync_NonSeparatorBytes_ArePartOfWords(string lineHex, int expected)
    {
        // Act
        var output = await OutputAsync(WordCountProcessor.Instance, Hex(lineHex));

        // Assert
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(output));
    }

    [Fact]
    public async Task ProcessAsync_LongLine_WritesManyDigits()
    {
        // Arrange: 524,288 words of one letter.
        var line = new byte[1 << 20];
        for (var i = 0; i < line.Length; i += 2)
        {
            line[i] = (byte)'w';
            line[i + 1] = (byte)' ';
        }

        // Act
        var output = await OutputAsync(WordCountProcessor.Instance, line);

        // Assert
        Assert.Equal("524288", Encoding.ASCII.GetString(output));
    }

    [Fact]
    public async Task ProcessAsync_RandomLines_MatchesByteByByteCount()
    {
        // Arrange
        byte[] alphabet = [(byte)' ', (byte)'\t', 0x0B, 0x0C, (byte)'\r', (byte)'a', 0x00, 0xFF, 0x85, 0xA0, 0x1C];
        var random = new Random(7);
        var processor = WordCountProcessor.Instance;

        for (var lineIndex = 0; lineIndex < 500; lineIndex++)
        {
            var line = new byte[random.Next(0, 200)];
            for (var i = 0; i < line.Length; i++)
            {
                line[i] = alphabet[random.Next(alphabet.Length)];
            }

            // Act
            var output = await OutputAsync(processor, line);

            // Assert
            Assert.Equal(ReferenceCount(line).ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(output));
        }
    }

    // A plain state machine, independent of the vectorised search the processor uses.
    private static int ReferenceCount(byte[] line)
    {
        var count = 0;
        var inWord = false;
        foreach (var b in line)
        {
            var separator = b is (byte)' ' or (byte)'\t' or 0x0B or 0x0C or (byte)'\r';
            if (!separator && !inWord)
            {
                count++;
            }
            inWord = !separator;
        }
        return count;
    }
}
