namespace Streaming.Producer.Job.Output;

/// <summary>A finished output is not what the collector wrote (another process wrote to it, or the disk lost bytes).</summary>
internal sealed class OutputMismatchException(string message) : Exception(message);
