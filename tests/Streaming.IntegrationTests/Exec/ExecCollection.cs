using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Exec;

/// <summary>
/// The <c>exec:</c> integrity tests and the chaos fuzz test: the same shared broker, in a collection of their own, so
/// that they run beside the pipeline tests (they mostly wait on worker processes and line timeouts).
/// </summary>
[CollectionDefinition(Name)]
public sealed class ExecCollection : ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "exec";
}
