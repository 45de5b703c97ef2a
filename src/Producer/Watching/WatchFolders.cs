using System.Globalization;
using System.Text;
using Streaming.Messaging.Topology;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Watching;

/// <summary>
/// The five folders of <c>watch --data D</c> and the moves of inputs and redrive drops between them (a job's files in
/// outbox/ are moved and deleted by <see cref="JobFileMoves"/> alone). Every move is one rename(2) inside D, to a name chosen so that it replaces
/// nothing: the same name dropped twice gets a counter (<c>data.2.txt</c>) instead of overwriting an earlier file or
/// result. It also keeps the data folder's record of the service's results queue (<see cref="RecordResultsQueue"/>).
/// </summary>
internal sealed class WatchFolders(string data, OutputCompression compression = OutputCompression.None)
{
    /// <summary>Names tried before giving up on a name (a counter that high means something is wrong).</summary>
    private const int MaxVariants = 10_000;

    /// <summary>Longer than any results queue's name: a record this long is not one.</summary>
    private const int LongestQueueName = 64;

    public string Data { get; } = Path.GetFullPath(data);

    /// <summary>How the outputs in outbox/ are written (<see cref="WatchOptions.Compress"/>).</summary>
    public OutputCompression Compression => compression;

    public string Inbox => Path.Combine(Data, "inbox");

    public string Processing => Path.Combine(Data, "processing");

    public string Outbox => Path.Combine(Data, "outbox");

    public string Done => Path.Combine(Data, "done");

    public string Failed => Path.Combine(Data, "failed");

    /// <summary>Where an errors file from outbox/ is dropped to run its lines again (<see cref="RedriveDrops"/>).</summary>
    public string Redrive => Path.Combine(Data, "redrive");

    /// <summary>Held by the one watch service that owns this data folder (<see cref="OwnerLock"/>).</summary>
    public string Lock => Path.Combine(Data, ".watch.lock");

    /// <summary>Names the results queue of the watch service that ran last on this data folder (<see cref="RecordResultsQueue"/>).</summary>
    public string ResultsQueueRecord => Path.Combine(Data, ".watch.results");

    /// <summary>Records <paramref name="queue"/>, durably, as the results queue of the watch service that runs on this data
    /// folder now; returns the one the record named before (a service now gone), or null.</summary>
    /// <remarks>A new file's first checkpoint comes only after the checkpoint interval, so a service killed before then
    /// leaves files in processing/ that no checkpoint ties to its queue: they start over under new job ids, and that
    /// queue would keep the results the consumers still send it until it expires, a day later. The next start forgets
    /// it instead (its batches are then skipped as answering to a queue that is gone).</remarks>
    public string? RecordResultsQueue(string queue)
    {
        var previous = ReadResultsQueueRecord();
        var temporary = JobFiles.Temporary(ResultsQueueRecord);
        using (var file = PosixFiles.OpenForWriting(temporary))
        {
            RandomAccess.SetLength(file, 0);
            RandomAccess.Write(file, Encoding.UTF8.GetBytes(queue), 0);
            RandomAccess.FlushToDisk(file);
        }
        File.Move(temporary, ResultsQueueRecord, overwrite: true);
        FolderSyncs.Sync(Data);
        return previous == queue ? null : previous;
    }

    public static string ReasonFile(string failedPath) => failedPath + ".reason";

    /// <summary>Creates the five folders, and checks that they are five, none of them the data folder.</summary>
    /// <exception cref="IOException">A folder cannot be created, or two are one (<see cref="CheckDistinct"/>).</exception>
    public void Create()
    {
        foreach (var folder in new[] { Inbox, Processing, Outbox, Done, Failed, Redrive })
        {
            Directory.CreateDirectory(folder);
        }
        CheckDistinct();
    }

    /// <summary>
    /// Two of the folders that are one (a symbolic link, a bind mount: the same device and inode) would feed the service
    /// its own files: an outbox that is the inbox takes every output as a new input, without end.
    /// </summary>
    /// <exception cref="IOException">Two of them are the same folder.</exception>
    private void CheckDistinct()
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var folder in new[] { Data, Inbox, Processing, Outbox, Done, Failed, Redrive })
        {
            var identity = FileProbe.Identity(folder);
            if (seen.TryGetValue(identity, out var same))
            {
                throw new IOException(
                    $"'{folder}' and '{same}' are the same folder (a symbolic link or a mount); inbox/, processing/, outbox/, "
                    + "done/, failed/ and redrive/ must be six distinct folders, none of them the data folder itself");
            }
            seen.Add(identity, folder);
        }
    }

    /// <summary>A name for a file entering processing/ that no file in processing/ or done/, and no output in
    /// outbox/, uses yet; its outputs will carry that name.</summary>
    public string ChooseProcessingName(string name) => Choose(name, candidate =>
        !Path.Exists(Path.Combine(Processing, candidate))
        && !Path.Exists(Path.Combine(Done, candidate))
        && !JobOf(candidate).AnyLeft.Any(Path.Exists));

    /// <summary>The files in outbox/ of the job of the input <paramref name="processingName"/> in processing/.</summary>
    public JobFiles JobOf(string processingName) => new(Path.Combine(Processing, processingName), Outbox, compression);

    /// <summary>Deletes a drop from redrive/ whose redrive has nothing to do.</summary>
    public static void RemoveDrop(string drop) => File.Delete(drop);

    /// <summary>Renames a file from the inbox into processing/; durable only after <see cref="SyncTaken"/>, which may
    /// cover many such moves at once.</summary>
    public string MoveToProcessing(string inboxName, string processingName)
    {
        var target = Path.Combine(Processing, processingName);
        File.Move(Path.Combine(Inbox, inboxName), target, overwrite: true);
        return target;
    }

    /// <summary>Makes every move into processing/ so far durable.</summary>
    public void SyncTaken() => SyncBoth(Inbox, Processing);

    /// <summary>Moves a finished input from processing/ to done/; returns its new path.</summary>
    public string MoveToDone(string processingName)
    {
        var name = Choose(processingName, candidate => !Path.Exists(Path.Combine(Done, candidate)));
        var target = Path.Combine(Done, name);
        File.Move(Path.Combine(Processing, processingName), target, overwrite: true);
        SyncBoth(Processing, Done);
        return target;
    }

    /// <summary>
    /// Moves <paramref name="path"/> (a file, directory, FIFO or link; or nothing, when it is gone) to failed/ and
    /// writes the reason beside it as <c>&lt;name&gt;.reason</c>. Returns the path the reason was written to.
    /// </summary>
    public string MoveToFailed(string path, string reason, DateTimeOffset now)
    {
        var originalName = Path.GetFileName(path);
        var name = Choose(originalName, candidate =>
            !Path.Exists(Path.Combine(Failed, candidate)) && !Path.Exists(ReasonFile(Path.Combine(Failed, candidate))));
        var target = Path.Combine(Failed, name);
        var moved = false;
        if (Directory.Exists(path))
        {
            // A directory, or a link to one (rename(2) moves the link itself, not what it points to).
            Directory.Move(path, target);
            moved = true;
        }
        else if (Path.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Move(path, target, overwrite: true);
            moved = true;
        }
        var where = moved ? "moved here as " + name : "nothing left to move";
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{originalName}: {reason}{Environment.NewLine}failed at {now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}, {where}{Environment.NewLine}");
        var reasonFile = ReasonFile(target);
        File.WriteAllText(reasonFile + ".tmp", text);
        File.Move(reasonFile + ".tmp", reasonFile, overwrite: true);
        return reasonFile;
    }

    /// <summary>A rename is durable once both folders are synced: the input is then in exactly one of them after power loss.</summary>
    private static void SyncBoth(string from, string to)
    {
        FolderSyncs.Sync(to);
        FolderSyncs.Sync(from);
    }

    private static string Choose(string name, Func<string, bool> isFree)
    {
        for (var attempt = 1; attempt <= MaxVariants; attempt++)
        {
            var candidate = InboxNames.Variant(name, attempt);
            if (isFree(candidate))
            {
                return candidate;
            }
        }
        throw new IOException($"{MaxVariants} files named like '{name}' already exist");
    }

    private string? ReadResultsQueueRecord()
    {
        try
        {
            var record = new FileInfo(ResultsQueueRecord);
            if (!record.Exists || record.Length is 0 or > LongestQueueName)
            {
                return null;
            }
            var name = File.ReadAllText(ResultsQueueRecord, Encoding.UTF8);
            return QueueNames.IsResultsQueue(name) ? name : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
