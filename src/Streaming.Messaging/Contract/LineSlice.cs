namespace Streaming.Messaging.Contract;

/// <summary>Where one line's bytes sit inside a message body.</summary>
/// <param name="Offset">Start of the bytes in the body.</param>
/// <param name="Length">Byte count.</param>
/// <param name="Flag">For a batch: <see cref="LineFlag"/>; for a result: <see cref="LineStatus"/>.</param>
internal readonly record struct LineSlice(int Offset, int Length, byte Flag);

/// <summary>How a line travels in a batch.</summary>
internal static class LineFlag
{
    /// <summary>The line's bytes follow.</summary>
    public const byte Data = 0;

    /// <summary>The line was longer than the line limit; the producer sent no bytes, it fails with that reason.</summary>
    public const byte OverLimit = 1;
}

/// <summary>How a line came out of processing.</summary>
internal static class LineStatus
{
    public const byte Ok = 0;

    /// <summary>The bytes are a UTF-8 reason; the output line is empty.</summary>
    public const byte Failed = 1;
}
