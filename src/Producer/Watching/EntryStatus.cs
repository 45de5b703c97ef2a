namespace Streaming.Producer.Watching;

/// <summary>
/// One look at a folder entry: its kind, and the size and modification time of what it is (of the target, for a
/// symbolic link; of the link itself when it dangles). Two looks that compare equal mean the entry did not change.
/// </summary>
internal readonly record struct EntryStatus(EntryKind Kind, bool IsSymlink, long Size, long ModifiedNanoseconds)
{
    public static readonly EntryStatus Missing = new(EntryKind.Missing, false, 0, 0);

    /// <summary>Why an entry of this kind cannot be processed; null for a regular file.</summary>
    public string? Unprocessable => Kind switch
    {
        EntryKind.RegularFile or EntryKind.Missing => null,
        EntryKind.Directory => IsSymlink ? "it is a symbolic link to a directory, not a file" : "it is a directory, not a file",
        EntryKind.DanglingSymlink => "it is a symbolic link whose target does not exist",
        EntryKind.Fifo => "it is a FIFO (named pipe), not a regular file",
        EntryKind.Socket => "it is a socket, not a regular file",
        EntryKind.CharacterDevice or EntryKind.BlockDevice => "it is a device, not a regular file",
        _ => "it is not a regular file",
    };
}
