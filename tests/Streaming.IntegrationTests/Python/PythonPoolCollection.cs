namespace Streaming.IntegrationTests.Python;

/// <summary>The Python client's tests start their own broker node: they run beside the other collections.</summary>
[CollectionDefinition(Name)]
public sealed class PythonPoolCollection
{
    public const string Name = "python-pool";
}
