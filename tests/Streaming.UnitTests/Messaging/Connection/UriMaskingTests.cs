using Streaming.Messaging.Connection;

namespace Streaming.UnitTests.Messaging.Connection;

public sealed class UriMaskingTests
{
    [Theory]
    [InlineData("amqp://guest:guest@localhost:5672/", "amqp://guest:***@localhost:5672/")]
    [InlineData("amqp://localhost:5672/", "amqp://localhost:5672/")]
    [InlineData("amqp://user@localhost/", "amqp://user@localhost/")]
    [InlineData("amqp://a:one@n1/,amqp://a:two@n2/,amqp://a:three@n3/", "amqp://a:***@n1/,amqp://a:***@n2/,amqp://a:***@n3/")]
    [InlineData("amqp://a:one@n1/, amqps://b:two@n2/", "amqp://a:***@n1/, amqps://b:***@n2/")]
    [InlineData("the broker at amqp://u:pw@h:1/ could not be reached: host h:1", "the broker at amqp://u:***@h:1/ could not be reached: host h:1")]
    [InlineData("'amqp://u:pw@h/' and 'amqp://v:pw2@k/'", "'amqp://u:***@h/' and 'amqp://v:***@k/'")]
    [InlineData("no uri here: a:b@c", "no uri here: a:b@c")]
    [InlineData("amqp://u:p@ss@h/", "amqp://u:***@h/")]
    [InlineData("amqp://h/vhost@x", "amqp://h/vhost@x")]
    public void Mask_EveryUriInTheText_HidesEachPassword(string text, string expected)
    {
        Assert.Equal(expected, UriMasking.Mask(text));
    }

    [Theory]
    [InlineData("amqp://u:pa ss@h/", "amqp://u:***@h/")]
    [InlineData("amqp://u:pa/ss@h/", "amqp://u:***@h/")]
    [InlineData("u:secret@h", "u:***@h")]
    [InlineData("amqp://h/", "amqp://h/")]
    public void MaskOne_MalformedUri_HidesEverythingThatMayBeThePassword(string uri, string expected)
    {
        Assert.Equal(expected, UriMasking.MaskOne(uri));
    }
}
