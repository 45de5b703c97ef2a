namespace Streaming.Producer.Job;

/// <summary>A checkpoint was found for an input that is not the one it was made from, or made on another pipeline:
/// resuming would splice two inputs, or two fleets' processors, in one output.</summary>
internal sealed class InputChangedException(string message) : Exception(message);
