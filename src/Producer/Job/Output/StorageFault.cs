namespace Streaming.Producer.Job.Output;

/// <summary>
/// The one switch for "the storage refused": what writing, flushing (fsync), truncating or renaming an output or a
/// checkpoint throws when the disk, the file system or the file's permissions say no. Each is handled as a full disk is:
/// the job pauses and tries again with backoff, for a bounded time; never a tight loop of failures.
/// </summary>
internal static class StorageFault
{
    /// <summary>True for what the storage throws:
    /// <list type="bullet">
    /// <item><see cref="IOException"/> and its kin: ENOSPC, EDQUOT (a quota), EFBIG, EIO (a failing disk, or an fsync that
    /// lost pages), EROFS (remounted read-only), a folder or file removed under the job
    /// (<see cref="DirectoryNotFoundException"/>, <see cref="FileNotFoundException"/>), a path too long.</item>
    /// <item><see cref="UnauthorizedAccessException"/>: EPERM and EACCES, e.g. an output made immutable (<c>chattr +i</c>),
    /// a folder whose permissions changed, or a file system that refuses the operation.</item>
    /// </list>
    /// Anything else is a bug, not the storage, and is not to be waited out.</summary>
    public static bool Is(Exception exception) => exception is IOException or UnauthorizedAccessException;
}
