namespace Streaming.Producer.Job.Input;

/// <summary>A compressed input that is truncated or corrupt: no output can be complete, so the job fails with where the
/// damage is, never presents a short output as a success.</summary>
internal sealed class InputDamagedException(string message, Exception inner) : Exception(message, inner);
