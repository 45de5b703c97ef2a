using Streaming.Messaging.Hosting;

namespace Streaming.UnitTests.Messaging.Hosting;

public sealed class UsageErrorsTests
{
    [Theory]
    [InlineData("plain text, ünïcødé", "plain text, ünïcødé")]
    [InlineData("line\nbreak", "line\\u000abreak")]
    [InlineData("tab\tand\rreturn\0nul", "tab\\u0009and\\u000dreturn\\u0000nul")]
    public void Printable_ControlCharacters_AreEscapedOnOneLine(string text, string expected)
    {
        Assert.Equal(expected, UsageErrors.Printable(text));
    }
}
