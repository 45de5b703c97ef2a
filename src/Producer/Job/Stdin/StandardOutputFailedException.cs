namespace Streaming.Producer.Job.Stdin;

/// <summary>Standard output (or the errors file) refused a write: its reader went away (EPIPE) or its disk is full. Not a
/// <c>StorageFault</c> to wait out: the results already written cannot be taken back, so the stream is lost.</summary>
internal sealed class StandardOutputFailedException(string message, Exception inner) : Exception(message, inner);
