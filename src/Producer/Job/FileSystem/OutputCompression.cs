namespace Streaming.Producer.Job.FileSystem;

/// <summary>How <c>&lt;name&gt;.out</c> is written: as it is, or as gzip members or zstd frames, one per batch written,
/// so that the file cut back to any checkpoint still decompresses to exactly the lines before it.</summary>
internal enum OutputCompression
{
    None,
    Gzip,
    Zstd,
}

internal static class OutputCompressions
{
    /// <summary>The values of <c>--compress</c> and <c>Watch:Compress</c>.</summary>
    public const string Choices = "none, gzip or zstd";

    public static bool TryParse(string? text, out OutputCompression compression)
    {
        compression = text switch
        {
            null or "none" => OutputCompression.None,
            "gzip" => OutputCompression.Gzip,
            "zstd" => OutputCompression.Zstd,
            _ => (OutputCompression)(-1),
        };
        return Enum.IsDefined(compression);
    }

    /// <summary>What the output's name gets after <c>.out</c>.</summary>
    public static string Suffix(this OutputCompression compression) => compression switch
    {
        OutputCompression.Gzip => ".gz",
        OutputCompression.Zstd => ".zst",
        _ => "",
    };

    /// <summary>The name a checkpoint records (null for none, as checkpoints before compressed outputs have).</summary>
    public static string? CheckpointName(this OutputCompression compression) => compression switch
    {
        OutputCompression.Gzip => "gzip",
        OutputCompression.Zstd => "zstd",
        _ => null,
    };
}
