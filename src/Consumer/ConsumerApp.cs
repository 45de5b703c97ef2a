using Streaming.Consumer.Processors;

namespace Streaming.Consumer;

/// <summary>Runs the consumer service; a host for custom processors calls this from its own Main.</summary>
public static class ConsumerApp
{
    /// <summary>Parses <paramref name="args"/>, runs until SIGTERM/SIGINT, and returns the process exit code.</summary>
    /// <param name="args">The command line (see README).</param>
    /// <param name="registerProcessors">Adds user processors to the built-in ones.</param>
    public static Task<int> RunAsync(string[] args, Action<ProcessorCatalog>? registerProcessors = null)
    {
        throw new NotImplementedException("work in progress");
    }
}
