namespace Streaming.Consumer.Processors;

public sealed partial class ProcessorCatalog
{
    /// <summary>The built-in processors (placeholder until the processors land).</summary>
    public static ProcessorCatalog CreateDefault() => new();
}
