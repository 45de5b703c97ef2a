using System.Text;
using Streaming.Consumer.Processors;
using static Streaming.UnitTests.Processing.Processors.ProcessorRun;

namespace Streaming.UnitTests.Processing.Processors;

public sealed class UpperProcessorTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("hello, world! 0123456789 ~{|}", "HELLO, WORLD! 0123456789 ~{|}")]
    [InlineData("ALREADY UPPER", "ALREADY UPPER")]
    [InlineData("straße", "STRAßE")]
    [InlineData("ß", "ß")]
    [InlineData("café", "CAFÉ")]
    [InlineData("é", "É")]
    [InlineData("àâäçèêëîïôöùûüÿ", "ÀÂÄÇÈÊËÎÏÔÖÙÛÜŸ")]
    [InlineData("αβγ δέλτα ωμέγας", "ΑΒΓ ΔΈΛΤΑ ΩΜΈΓΑΣ")]
    [InlineData("привет, мир ёж", "ПРИВЕТ, МИР ЁЖ")]
    [InlineData("a😀b", "A😀B")]
    [InlineData("😀", "😀")]
    [InlineData("x\u0000y", "X\u0000Y")]
    [InlineData("日本語 text", "日本語 TEXT")]
    public async Task ProcessAsync_ValidUtf8_UpperCasesCharByChar(string line, string expected)
    {
        // Arrange
        var processor = UpperProcessor.Instance;

        // Act
        var output = await OutputAsync(processor, Encoding.UTF8.GetBytes(line));

        // Assert
        Assert.Equal(Encoding.UTF8.GetBytes(expected), output);
    }

    [Fact]
    public async Task ProcessAsync_LowercaseOutsideBmp_StaysUnchanged()
    {
        // Arrange: U+10428 DESERET SMALL LETTER LONG I has an upper case (U+10400), but char by char its two
        // surrogates are left alone.
        var line = Encoding.UTF8.GetBytes("a\U00010428b");

        // Act
        var output = await OutputAsync(UpperProcessor.Instance, line);

        // Assert
        Assert.Equal(Encoding.UTF8.GetBytes("A\U00010428B"), output);
    }

    [Fact]
    public async Task ProcessAsync_CharThatGrowsInUtf8_WritesWithinRequestedSpans()
    {
        // Arrange: U+0250 (2 bytes) upper-cases to U+2C6F (3 bytes), so the output outgrows the line.
        var line = Encoding.UTF8.GetBytes("ɐɐɐ ɐ");
        var output = new ExactSizeBufferWriter();

        // Act
        await UpperProcessor.Instance.ProcessAsync(line, output, CancellationToken.None);

        // Assert
        Assert.Equal(Encoding.UTF8.GetBytes("ⱯⱯⱯ Ɐ"), output.WrittenBytes);
    }

    [Fact]
    public async Task ProcessAsync_EveryBmpChar_MatchesCharToUpperInvariant()
    {
        // Arrange: every non-surrogate BMP char, with ASCII runs between them to exercise both paths.
        var line = new StringBuilder();
        var expected = new StringBuilder();
        for (var value = 1; value <= 0xFFFF; value++)
        {
            var c = (char)value;
            if (char.IsSurrogate(c))
            {
                continue;
            }
            line.Append(c).Append("ab");
            expected.Append(char.ToUpperInvariant(c)).Append("AB");
        }
        var output = new ExactSizeBufferWriter();

        // Act
        await UpperProcessor.Instance.ProcessAsync(Encoding.UTF8.GetBytes(line.ToString()), output, CancellationToken.None);

        // Assert
        Assert.Equal(Encoding.UTF8.GetBytes(expected.ToString()), output.WrittenBytes);
    }

    [Theory]
    [InlineData("ff")]
    [InlineData("61 62 ff 63")]
    [InlineData("c3 a9 ff")]
    [InlineData("80")]
    [InlineData("e2 82")]
    [InlineData("e2 82 61")]
    [InlineData("f0 9f 98")]
    [InlineData("c0 af")]
    [InlineData("e0 80 af")]
    [InlineData("f0 80 80 af")]
    [InlineData("ed a0 80")]
    [InlineData("ed bf bf")]
    [InlineData("f4 90 80 80")]
    [InlineData("f5 80 80 80")]
    public async Task ProcessAsync_InvalidUtf8_FailsWithReason(string lineHex)
    {
        // Arrange
        var line = Hex(lineHex);

        // Act
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => OutputAsync(UpperProcessor.Instance, line));

        // Assert
        Assert.Equal("line is not valid UTF-8", exception.Message);
    }

    [Fact]
    public async Task ProcessAsync_SameInstanceAfterFailure_StillUpperCases()
    {
        // Arrange
        var processor = UpperProcessor.Instance;
        await Assert.ThrowsAnyAsync<Exception>(() => OutputAsync(processor, Hex("c3")));

        // Act
        var output = await OutputAsync(processor, Encoding.UTF8.GetBytes("é"));

        // Assert
        Assert.Equal(Encoding.UTF8.GetBytes("É"), output);
    }
}
