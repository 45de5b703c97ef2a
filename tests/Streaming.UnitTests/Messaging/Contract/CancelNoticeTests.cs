using Streaming.Messaging.Contract;

namespace Streaming.UnitTests.Messaging.Contract;

public sealed class CancelNoticeTests
{
    [Fact]
    public void EncodeDecode_SeveralIds_RoundTrip()
    {
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();

        Assert.Equal(ids, CancelNotice.Decode(CancelNotice.Encode(ids)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData((CancelNotice.MaxJobs + 1) * 16)]
    public void Decode_NotWholeIdsOrTooMany_Refused(int length)
    {
        Assert.Throws<MessageFormatException>(() => CancelNotice.Decode(new byte[length]));
    }
}
