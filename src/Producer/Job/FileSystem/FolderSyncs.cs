namespace Streaming.Producer.Job.FileSystem;

/// <summary>
/// The fsyncs of one folder that are asked for at the same time, done once (a group commit). When <see cref="Sync(string)"/>
/// returns, every change the caller made in the folder before calling it is durable: the sync that covers the caller
/// started after the caller asked. A watch service finishes many small files at once, each renaming into outbox/ and
/// done/; a sync each made the disk's work per file grow with the files in flight.
/// </summary>
internal static class FolderSyncs
{
    private static readonly Lock s_lock = new();

    /// <summary>Only folders someone is syncing right now: an entry goes with its last caller.</summary>
    private static readonly Dictionary<string, Folder> s_folders = new(StringComparer.Ordinal);

    /// <summary>Makes the entries of <paramref name="directory"/> (renames, new and deleted files) durable.</summary>
    public static void Sync(string directory) => Sync(directory, PosixFiles.SyncDirectory);

    /// <summary><see cref="Sync(string)"/> with the sync itself given (tests count them).</summary>
    internal static void Sync(string directory, Action<string> sync)
    {
        Folder folder;
        long ticket;
        lock (s_lock)
        {
            if (!s_folders.TryGetValue(directory, out folder!))
            {
                folder = new Folder();
                s_folders.Add(directory, folder);
            }
            folder.Users++;
            ticket = ++folder.Asked;
        }
        try
        {
            lock (folder.Gate)
            {
                if (folder.Synced >= ticket)
                {
                    return;     // a sync that started after this caller asked has ended
                }
                long covered;
                lock (s_lock)
                {
                    covered = folder.Asked;
                }
                sync(directory);
                folder.Synced = covered;
            }
        }
        finally
        {
            lock (s_lock)
            {
                if (--folder.Users == 0)
                {
                    s_folders.Remove(directory);
                }
            }
        }
    }

    private sealed class Folder
    {
        public readonly Lock Gate = new();

        /// <summary>Tickets handed out (under <see cref="s_lock"/>).</summary>
        public long Asked;

        /// <summary>Every ticket up to this one is covered by a sync that has ended (under <see cref="Gate"/>).</summary>
        public long Synced;

        /// <summary>Callers between asking and returning (under <see cref="s_lock"/>).</summary>
        public int Users;
    }
}
