using Microsoft.Win32.SafeHandles;

namespace Streaming.Producer.Job.Input;

/// <summary>How an input's bytes are stored, told by its first bytes, never by its name.</summary>
internal enum InputCompression
{
    None,
    Gzip,
    Zstd,
}

internal static class InputCompressionDetector
{
    /// <summary>gzip's magic (RFC 1952), zstd's frame magic and the range of its skippable frames' magics (RFC 8878).</summary>
    public static InputCompression Detect(SafeFileHandle input)
    {
        Span<byte> head = stackalloc byte[HeadBytes];
        return Detect(head[..RandomAccess.Read(input, head, 0)]);
    }

    /// <summary>How many first bytes <see cref="Detect(ReadOnlySpan{byte})"/> looks at.</summary>
    public const int HeadBytes = 4;

    /// <summary>The compression <paramref name="head"/>, an input's first bytes (fewer only when the input is shorter), tells.</summary>
    public static InputCompression Detect(ReadOnlySpan<byte> head)
    {
        var read = head.Length;
        if (read >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            return InputCompression.Gzip;
        }
        if (read < 4)
        {
            return InputCompression.None;
        }
        var isFrame = head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd;
        var isSkippableFrame = (head[0] & 0xf0) == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18;
        return isFrame || isSkippableFrame ? InputCompression.Zstd : InputCompression.None;
    }

    public static string Name(this InputCompression compression) => compression switch
    {
        InputCompression.Gzip => "gzip",
        InputCompression.Zstd => "zstd",
        _ => "uncompressed",
    };
}
