namespace Streaming.Producer.Job.Input;

/// <summary>The input is shorter than the bytes already published from it: it was truncated while it was being read,
/// so no output can match it. Not transient: reading it again cannot give the bytes back.</summary>
internal sealed class InputShrankException(string message) : Exception(message);
