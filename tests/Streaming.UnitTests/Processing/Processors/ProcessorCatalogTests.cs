using System.Text;
using Streaming.Consumer.Processors;
using static Streaming.UnitTests.Processing.Processors.ProcessorRun;

namespace Streaming.UnitTests.Processing.Processors;

public sealed class ProcessorCatalogTests
{
    [Fact]
    public void CreateDefault_Names_AreTheBuiltIns()
    {
        // Act
        var names = ProcessorCatalog.CreateDefault().Names;

        // Assert
        Assert.Equal(["delay", "exec", "identity", "sha256", "upper", "wordcount"], names);
    }

    [Fact]
    public async Task Resolve_DefaultSpec_IsIdentity()
    {
        // Arrange
        var line = Hex("41 00 ff");

        // Act
        var processor = Resolve(ProcessorCatalog.DefaultSpec)();

        // Assert
        Assert.Equal("identity", ProcessorCatalog.DefaultSpec);
        Assert.Equal(line, await OutputAsync(processor, line));
    }

    [Theory]
    [InlineData("identity", "héllo wörld")]
    [InlineData("upper", "HÉLLO WÖRLD")]
    [InlineData("wordcount", "2")]
    [InlineData("sha256", "a1003f7d04a4115711d0b48a2eaf1359ce565d2d2a6fd65098dfcffadeeef59f")]
    [InlineData("sha256:1", "a1003f7d04a4115711d0b48a2eaf1359ce565d2d2a6fd65098dfcffadeeef59f")]
    [InlineData("sha256:01", "a1003f7d04a4115711d0b48a2eaf1359ce565d2d2a6fd65098dfcffadeeef59f")]
    [InlineData("sha256:100", "9de086067c86abf915a656ef076d51662fd26063a6e440a5f5252fad0e132b53")]
    [InlineData("delay:0", "héllo wörld")]
    [InlineData("delay:1", "héllo wörld")]
    public async Task Resolve_ValidSpec_CreatesThatProcessor(string spec, string expected)
    {
        // Arrange
        var catalog = ProcessorCatalog.CreateDefault();

        // Act
        var factory = catalog.Resolve(spec, out var error);

        // Assert
        Assert.Null(error);
        Assert.NotNull(factory);
        var output = await OutputAsync(factory(), Encoding.UTF8.GetBytes("héllo wörld"));
        Assert.Equal(expected, Encoding.UTF8.GetString(output));
    }

    [Theory]
    [InlineData("sha256:1000000")]
    [InlineData("delay:60000")]
    public void Resolve_UpperBound_IsAccepted(string spec)
    {
        // Act
        var factory = ProcessorCatalog.CreateDefault().Resolve(spec, out var error);

        // Assert
        Assert.Null(error);
        Assert.NotNull(factory);
        Assert.NotNull(factory());
    }

    [Theory]
    [InlineData("sha256:", "processor 'sha256' takes a repeat count from 1 to 1000000, got ''")]
    [InlineData("sha256:0", "processor 'sha256' takes a repeat count from 1 to 1000000, got '0'")]
    [InlineData("sha256:-1", "processor 'sha256' takes a repeat count from 1 to 1000000, got '-1'")]
    [InlineData("sha256:1.5", "processor 'sha256' takes a repeat count from 1 to 1000000, got '1.5'")]
    [InlineData("sha256: 5", "processor 'sha256' takes a repeat count from 1 to 1000000, got ' 5'")]
    [InlineData("sha256:5 ", "processor 'sha256' takes a repeat count from 1 to 1000000, got '5 '")]
    [InlineData("sha256:+5", "processor 'sha256' takes a repeat count from 1 to 1000000, got '+5'")]
    [InlineData("sha256:1000001", "processor 'sha256' takes a repeat count from 1 to 1000000, got '1000001'")]
    [InlineData("sha256:99999999999", "processor 'sha256' takes a repeat count from 1 to 1000000, got '99999999999'")]
    [InlineData("sha256:1,000", "processor 'sha256' takes a repeat count from 1 to 1000000, got '1,000'")]
    [InlineData("sha256:1e3", "processor 'sha256' takes a repeat count from 1 to 1000000, got '1e3'")]
    [InlineData("sha256:0x10", "processor 'sha256' takes a repeat count from 1 to 1000000, got '0x10'")]
    [InlineData("sha256:５", "processor 'sha256' takes a repeat count from 1 to 1000000, got '５'")]
    [InlineData("sha256:1:2", "processor 'sha256' takes a repeat count from 1 to 1000000, got '1:2'")]
    [InlineData("delay", "processor 'delay' needs a delay in milliseconds from 0 to 60000, e.g. 'delay:100'")]
    [InlineData("delay:", "processor 'delay' takes a delay in milliseconds from 0 to 60000, got ''")]
    [InlineData("delay:-1", "processor 'delay' takes a delay in milliseconds from 0 to 60000, got '-1'")]
    [InlineData("delay:60001", "processor 'delay' takes a delay in milliseconds from 0 to 60000, got '60001'")]
    [InlineData("delay:1.5", "processor 'delay' takes a delay in milliseconds from 0 to 60000, got '1.5'")]
    [InlineData("delay:abc", "processor 'delay' takes a delay in milliseconds from 0 to 60000, got 'abc'")]
    [InlineData("identity:x", "processor 'identity' takes no argument")]
    [InlineData("identity:", "processor 'identity' takes no argument")]
    [InlineData("upper:1", "processor 'upper' takes no argument")]
    [InlineData("wordcount:1", "processor 'wordcount' takes no argument")]
    public void Resolve_InvalidArgument_ReturnsOneLineError(string spec, string expected)
    {
        // Act
        var factory = ProcessorCatalog.CreateDefault().Resolve(spec, out var error);

        // Assert
        Assert.Null(factory);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("md5")]
    [InlineData("IDENTITY")]
    [InlineData("sha-256:5")]
    [InlineData(" identity")]
    public void Resolve_UnknownName_ListsKnownProcessors(string spec)
    {
        // Act
        var factory = ProcessorCatalog.CreateDefault().Resolve(spec, out var error);

        // Assert
        Assert.Null(factory);
        Assert.Equal($"unknown processor '{spec}' (known: delay, exec, identity, sha256, upper, wordcount)", error);
    }

    [Fact]
    public void Resolve_Sha256Factory_CreatesIndependentInstances()
    {
        // Arrange
        var factory = Resolve("sha256:3");

        // Act
        var first = factory();
        var second = factory();

        // Assert
        Assert.NotSame(first, second);
    }
}
