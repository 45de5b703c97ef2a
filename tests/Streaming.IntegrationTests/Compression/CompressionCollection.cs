using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Compression;

/// <summary>
/// The compressed-input and compressed-output tests through <c>publish</c>: the same shared broker, in a collection of
/// their own, so that they run beside the shared broker's long collection instead of after it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CompressionCollection : ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "compression";
}
