using Streaming.Messaging.Publishing;

namespace Streaming.UnitTests.Messaging.Publishing;

public sealed class MessageSizeLimitTests
{
    [Theory]
    [InlineData("PRECONDITION_FAILED - message size 20700052 is larger than configured max size 16777216", 16777216)]
    [InlineData("message size 2000000 is larger than configured max size 1048576", 1048576)]
    public void TryParse_BrokersReasonForAnOversizedMessage_GivesItsLimit(string reason, int expected)
    {
        Assert.True(MessageSizeLimit.TryParse(reason, out var limit));
        Assert.Equal(expected, limit);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("PRECONDITION_FAILED - invalid expiration 'soon'")]
    [InlineData("message size 5 is larger than configured max size 99999999999")]
    [InlineData("message size 5 is larger than configured max size 0")]
    public void TryParse_AnyOtherReason_GivesNothing(string? reason)
    {
        Assert.False(MessageSizeLimit.TryParse(reason, out _));
    }
}
