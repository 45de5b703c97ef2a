using Streaming.Producer.Watching;

namespace Streaming.UnitTests.Producer.Watching;

public sealed class InboxNamesTests
{
    [Theory]
    [InlineData(".hidden")]
    [InlineData(".data.txt")]
    [InlineData("upload.tmp")]
    [InlineData("upload.TMP")]
    [InlineData("data.txt.part")]
    [InlineData("data.txt.partial")]
    [InlineData("data.Partial")]
    [InlineData("")]
    public void IsIgnored_HiddenOrStillBeingWrittenNames_True(string name) => Assert.True(InboxNames.IsIgnored(name));

    [Theory]
    [InlineData("data.txt")]
    [InlineData("data")]
    [InlineData("tmp")]
    [InlineData("data.tmp.txt")]
    [InlineData("partial.csv")]
    [InlineData("data.parts")]
    [InlineData("a.b.c")]
    public void IsIgnored_OrdinaryNames_False(string name) => Assert.False(InboxNames.IsIgnored(name));

    [Theory]
    [InlineData("data.txt", 1, "data.txt")]
    [InlineData("data.txt", 2, "data.2.txt")]
    [InlineData("data.txt", 13, "data.13.txt")]
    [InlineData("notes", 2, "notes.2")]
    [InlineData("archive.tar.gz", 3, "archive.tar.3.gz")]
    public void Variant_AttemptNumber_CounterBeforeTheLastExtension(string name, int attempt, string expected) =>
        Assert.Equal(expected, InboxNames.Variant(name, attempt));

    [Fact]
    public void Variant_AttemptZero_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => InboxNames.Variant("data.txt", 0));
}
