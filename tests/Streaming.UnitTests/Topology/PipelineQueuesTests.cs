using System.Text.RegularExpressions;
using CsCheck;
using Microsoft.Extensions.Options;
using Streaming.Consumer;
using Streaming.Messaging.Topology;
using Streaming.Producer;

namespace Streaming.UnitTests.Topology;

public sealed class PipelineQueuesTests
{
    private const string NameChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

    private static readonly Gen<string> s_validNames = Gen.Char[NameChars].Array[1, PipelineQueues.MaxNameLength].Select(c => new string(c));

    /// <summary>Any character but the 65 a name may hold: other ASCII, controls, non-ASCII letters and digits, surrogates.</summary>
    private static readonly Gen<char> s_invalidChars = Gen.Char.Where(c => !NameChars.Contains(c, StringComparison.Ordinal));

    [Fact]
    public void IsValidName_AnyNameOfAllowedCharactersUpTo64_IsAcceptedAndNamesItsQueues()
    {
        s_validNames.Sample(name =>
        {
            Assert.True(PipelineQueues.IsValidName(name), name);
            Assert.Matches(PipelineQueues.ConfigurationPattern, name);
            var queues = PipelineQueues.For(name);
            Assert.Equal(name, queues.Name);
            Assert.Equal("streaming.lines." + name, queues.Work);
            Assert.Equal("streaming.quarantine." + name, queues.Quarantine);
            Assert.Equal("streaming.delivery-limit." + name, queues.DeliveryLimit);
            Assert.Equal(name, queues.HeaderValue);
        }, iter: 2000);
    }

    [Fact]
    public void IsValidName_AnyNameWithOneCharacterNotAllowed_IsRefusedByTheCommandLineAndTheConfiguration()
    {
        Gen.Select(s_validNames, s_invalidChars, Gen.Int[0, PipelineQueues.MaxNameLength]).Sample((valid, bad, at) =>
        {
            var position = at % (valid.Length + 1);
            var name = valid[..position] + bad + valid[position..];
            Assert.False(PipelineQueues.IsValidName(name), name);
            Assert.DoesNotMatch(PipelineQueues.ConfigurationPattern, name);
            Assert.Throws<ArgumentException>(() => PipelineQueues.For(name));
        }, iter: 2000);
    }

    [Fact]
    public void IsValidName_LongerThan64_IsRefused()
    {
        Gen.Char[NameChars].Array[PipelineQueues.MaxNameLength + 1, 300].Select(c => new string(c)).Sample(name =>
        {
            Assert.False(PipelineQueues.IsValidName(name));
            Assert.DoesNotMatch(PipelineQueues.ConfigurationPattern, name);
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void For_NoName_IsTheDefaultPipelineWithTheQueuesOfTheInterface(string? name)
    {
        var queues = PipelineQueues.For(name);

        Assert.Same(PipelineQueues.Default, queues);
        Assert.Null(queues.Name);
        Assert.Equal("streaming.lines", queues.Work);
        Assert.Equal("streaming.quarantine", queues.Quarantine);
        Assert.Equal("streaming.delivery-limit", queues.DeliveryLimit);
        Assert.Equal("", queues.HeaderValue);
        Assert.False(PipelineQueues.IsValidName(""));
    }

    [Theory]
    [InlineData("two words")]
    [InlineData("a/b")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123x")]
    public void OptionsValidators_NotAPipelineName_FailWithTheRule(string name)
    {
        var producer = new ProducerOptionsValidator().Validate(Options.DefaultName, new ProducerOptions { Pipeline = name });
        var consumer = new ConsumerOptionsValidator().Validate(Options.DefaultName, new ConsumerOptions { Pipeline = name });

        Assert.True(producer.Failed);
        Assert.True(consumer.Failed);
        Assert.Contains(PipelineQueues.NameRule, producer.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(PipelineQueues.NameRule, consumer.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("images.resize-v2_x")]
    public void OptionsValidators_EmptyOrAName_Pass(string name)
    {
        Assert.True(new ProducerOptionsValidator().Validate(Options.DefaultName, new ProducerOptions { Pipeline = name }).Succeeded);
        Assert.True(new ConsumerOptionsValidator().Validate(Options.DefaultName, new ConsumerOptions { Pipeline = name }).Succeeded);
    }

    [Fact]
    public void ConfigurationPattern_IsTheSameRuleAsIsValidNameOrEmpty()
    {
        Assert.Matches(new Regex(PipelineQueues.ConfigurationPattern), "");
        Assert.Matches(new Regex(PipelineQueues.ConfigurationPattern), new string('a', PipelineQueues.MaxNameLength));
    }
}
