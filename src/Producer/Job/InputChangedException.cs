namespace Streaming.Producer.Job;

/// <summary>A checkpoint was found for an input that is not the one it was made from: resuming would splice two inputs.</summary>
internal sealed class InputChangedException(string message) : Exception(message);
