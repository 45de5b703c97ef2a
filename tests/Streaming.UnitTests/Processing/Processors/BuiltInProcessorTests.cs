using System.Buffers;
using System.Text;
using Streaming.Consumer.Processors;
using static Streaming.UnitTests.Processing.Processors.ProcessorRun;

namespace Streaming.UnitTests.Processing.Processors;

/// <summary>Properties every built-in processor shares, whatever it computes.</summary>
public sealed class BuiltInProcessorTests
{
    public static TheoryData<string> Specs =>
        ["identity", "upper", "wordcount", "sha256", "sha256:5", "delay:0", "delay:1"];

    [Theory]
    [MemberData(nameof(Specs))]
    public async Task ProcessAsync_SameInstanceManyLines_MatchesFreshInstances(string spec)
    {
        // Arrange
        var factory = Resolve(spec);
        var lines = Lines().ToArray();
        var expected = new List<string>();
        foreach (var line in lines)
        {
            expected.Add(await OutcomeAsync(factory(), line));
        }
        var reused = factory();

        // Act
        var actual = new List<string>();
        foreach (var line in lines)
        {
            actual.Add(await OutcomeAsync(reused, line));
        }

        // Assert
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public async Task ProcessAsync_WriterWithEarlierOutput_Appends(string spec)
    {
        // Arrange
        var processor = Resolve(spec)();
        var line = Encoding.UTF8.GetBytes("Some words, ünïcode");
        var alone = await OutputAsync(processor, line);
        var output = new ArrayBufferWriter<byte>();
        output.Write("earlier"u8);

        // Act
        await processor.ProcessAsync(line, output, CancellationToken.None);

        // Assert
        Assert.Equal([.. "earlier"u8, .. alone], output.WrittenSpan.ToArray());
    }

    private static async Task<string> OutcomeAsync(ILineProcessor processor, byte[] line)
    {
        try
        {
            return Convert.ToHexString(await OutputAsync(processor, line));
        }
        catch (Exception exception)
        {
            return "failed: " + exception.Message;
        }
    }

    // A mix of lengths, scripts and bytes, including lines upper rejects and ones longer than a buffer segment.
    private static IEnumerable<byte[]> Lines()
    {
        var random = new Random(11);
        string[] texts = ["", " ", "hello world", "straße café", "ΑΒΓ αβγ", "привет мир", "😀 emoji", "ɐɐɐ grows"];
        for (var i = 0; i < 60; i++)
        {
            yield return Encoding.UTF8.GetBytes(texts[i % texts.Length] + new string('x', random.Next(0, 300)));
            if (i % 5 == 0)
            {
                var raw = new byte[random.Next(0, 100)];
                random.NextBytes(raw);
                yield return raw;
            }
        }
        yield return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("mixed ünïcode text ", 5000)));
    }
}
