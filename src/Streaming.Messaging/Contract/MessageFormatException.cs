namespace Streaming.Messaging.Contract;

/// <summary>A message body that is not a well-formed batch or result. The only exception the decoders throw.</summary>
internal sealed class MessageFormatException(string message) : Exception(message);
