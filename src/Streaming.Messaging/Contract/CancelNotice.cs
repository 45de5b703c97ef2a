namespace Streaming.Messaging.Contract;

/// <summary>
/// The body of a cancel notice on <c>streaming.cancel</c>: the ids of cancelled jobs, 16 bytes each (the
/// <see cref="Guid"/>'s own byte order), at most <see cref="MaxJobs"/>. A producer sends one when it cancels a job and
/// sends its recent cancels again every few seconds, for consumers that started after.
/// </summary>
internal static class CancelNotice
{
    public const int MaxJobs = 1024;

    private const int IdBytes = 16;

    public static byte[] Encode(IReadOnlyCollection<Guid> jobIds)
    {
        if (jobIds.Count is 0 or > MaxJobs)
        {
            throw new ArgumentOutOfRangeException(nameof(jobIds), jobIds.Count, $"a notice names 1 to {MaxJobs} jobs");
        }
        var body = new byte[jobIds.Count * IdBytes];
        var offset = 0;
        foreach (var id in jobIds)
        {
            id.TryWriteBytes(body.AsSpan(offset, IdBytes));
            offset += IdBytes;
        }
        return body;
    }

    /// <exception cref="MessageFormatException">Not a sequence of 1 to <see cref="MaxJobs"/> ids.</exception>
    public static Guid[] Decode(ReadOnlySpan<byte> body)
    {
        if (body.Length == 0 || body.Length % IdBytes != 0 || body.Length / IdBytes > MaxJobs)
        {
            throw new MessageFormatException($"a cancel notice of {body.Length} bytes is not 1 to {MaxJobs} job ids of {IdBytes} bytes");
        }
        var ids = new Guid[body.Length / IdBytes];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = new Guid(body.Slice(i * IdBytes, IdBytes));
        }
        return ids;
    }
}
