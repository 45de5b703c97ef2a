using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Python;

/// <summary>The Python client's tests start their own broker node: they run beside the other collections.</summary>
[CollectionSeconds(249)]
[CollectionDefinition(Name)]
public sealed class PythonPoolCollection
{
    public const string Name = "python-pool";
}
