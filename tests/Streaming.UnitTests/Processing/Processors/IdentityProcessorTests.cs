using Streaming.Consumer.Processors;
using static Streaming.UnitTests.Processing.Processors.ProcessorRun;

namespace Streaming.UnitTests.Processing.Processors;

public sealed class IdentityProcessorTests
{
    [Theory]
    [InlineData("")]
    [InlineData("68 65 6c 6c 6f")]
    [InlineData("00")]
    [InlineData("61 00 62 ff fe c0 af ed a0 80 0d")]
    public async Task ProcessAsync_AnyBytes_WritesThemUnchanged(string lineHex)
    {
        // Arrange
        var line = Hex(lineHex);

        // Act
        var output = await OutputAsync(IdentityProcessor.Instance, line);

        // Assert
        Assert.Equal(line, output);
    }

    [Fact]
    public async Task ProcessAsync_MegabyteLine_WritesItUnchanged()
    {
        // Arrange
        var line = new byte[1 << 20];
        new Random(3).NextBytes(line);

        // Act
        var output = await OutputAsync(IdentityProcessor.Instance, line);

        // Assert
        Assert.Equal(line, output);
    }
}
