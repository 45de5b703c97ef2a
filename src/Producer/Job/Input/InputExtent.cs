namespace Streaming.Producer.Job.Input;

/// <summary>
/// How many bytes an input has to cut, for progress and ETA: an uncompressed file's length; for a compressed one, an
/// estimate from the primary cursor (its decompressed bytes so far, scaled by the share of the compressed file read),
/// exact once the cursor has reached the end.
/// </summary>
internal sealed class InputExtent(long fileLength, bool compressed)
{
    private long _estimate = -1;

    public bool Compressed => compressed;

    public long Bytes => Volatile.Read(ref _estimate) is var estimate and >= 0 ? estimate : fileLength;

    /// <summary>The primary cursor's reading so far.</summary>
    public void Observe(long decompressed, long compressedRead, bool ended)
    {
        if (!compressed || compressedRead <= 0)
        {
            return;
        }
        var estimate = ended ? decompressed : (long)(decompressed * ((double)fileLength / compressedRead));
        Volatile.Write(ref _estimate, Math.Max(estimate, decompressed));
    }
}
