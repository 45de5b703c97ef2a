namespace Streaming.Producer.Watching;

/// <summary>What a folder entry is, symbolic links followed (a link is described by what it points to).</summary>
internal enum EntryKind
{
    /// <summary>Not there (any more).</summary>
    Missing,
    RegularFile,
    Directory,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,

    /// <summary>A symbolic link whose target does not exist (or is a loop).</summary>
    DanglingSymlink,
    Other,
}
