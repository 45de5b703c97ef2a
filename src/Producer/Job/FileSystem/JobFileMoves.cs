using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Streaming.Producer.Job.FileSystem;

/// <summary>
/// The one owner of the renames and deletes of a job's files (<see cref="JobFiles"/> names them), each with the
/// folder's fsync where it must survive power loss: outputs made final or reclaimed, what a cancelled or failed job
/// leaves removed, checkpoints and summaries written whole, and a redrive's folder (<c>JobFileMoves.Redrive.cs</c>).
/// </summary>
internal static partial class JobFileMoves
{
    /// <summary>
    /// A crash while the outputs were being made final leaves an output under its final name with the checkpoint
    /// still there (it goes last): that file is this job's, complete at least up to the checkpoint, so it becomes
    /// the partial output again and the job resumes from the checkpoint as usual.
    /// </summary>
    public static void ReclaimCompleted(this JobFiles files)
    {
        ReclaimCompleted(files.Output);
        ReclaimCompleted(files.Errors);
    }

    /// <summary>A run that starts over in another compression leaves nothing of the earlier one's partial output.</summary>
    public static void RemoveOtherPartialOutputs(this JobFiles files)
    {
        foreach (var other in files.OtherOutputs)
        {
            File.Delete(JobFiles.Partial(other));
        }
    }

    /// <summary>Writes <paramref name="checkpoint"/> in place of the last one, atomically.</summary>
    public static Task SaveCheckpointAsync<T>(
        this JobFiles files, T checkpoint, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(files.Checkpoint, checkpoint, type, cancellationToken);

    /// <summary>Makes the outputs final: renames them (the errors file only when a line failed, else it goes), writes
    /// the summary, forgets the checkpoint, and syncs the folder so that the completed job survives power loss. The
    /// partial outputs must be flushed and closed.</summary>
    public static async Task CompleteAsync<T>(
        this JobFiles files, bool anyLineFailed, T summary, JsonTypeInfo<T> summaryType, CancellationToken cancellationToken)
    {
        await PlaceOutputsAsync(files, anyLineFailed, summary, summaryType, doneBefore: false, cancellationToken);
        File.Delete(files.Checkpoint);
        FolderSyncs.Sync(files.OutputDirectory);
    }

    /// <summary>A job that starts over removes the checkpoint it did not resume from, and its watermark, before its outputs
    /// are cut back: since a new job of the watch service writes its first checkpoint only after a second, a run killed
    /// before then would otherwise leave the earlier one to resume from, over outputs it no longer vouches for.</summary>
    public static void RemoveDiscardedCheckpoint(this JobFiles files)
    {
        File.Delete(files.Checkpoint);
        File.Delete(files.Published);
        FolderSyncs.Sync(files.OutputDirectory);
    }

    /// <summary>The job is complete: the publish watermark goes with the checkpoint (its handle closed first).</summary>
    public static void RemoveWatermark(this JobFiles files) => File.Delete(files.Published);

    /// <summary>Removes what a cancelled job's run left (<see cref="JobFiles.Unfinished"/>): nothing is left to resume.</summary>
    /// <exception cref="IOException">One could not be removed.</exception>
    /// <exception cref="UnauthorizedAccessException">One could not be removed.</exception>
    public static void RemoveUnfinished(this JobFiles files)
    {
        foreach (var path in files.Unfinished)
        {
            File.Delete(path);
        }
        FolderSyncs.Sync(files.OutputDirectory);
    }

    /// <summary>Removes what lets a failed job resume (its partial outputs, checkpoint and watermark): it is not run again.</summary>
    public static void RemoveResumable(this JobFiles files)
    {
        foreach (var leftover in new[] { JobFiles.Partial(files.Output), JobFiles.Partial(files.Errors), files.Checkpoint, files.Published })
        {
            File.Delete(leftover);
        }
    }

    /// <summary>Removes whatever a job of this name left (<see cref="JobFiles.AnyLeft"/>), complete or not.</summary>
    public static void RemoveAll(this JobFiles files)
    {
        foreach (var path in files.AnyLeft.Append(JobFiles.Temporary(files.Checkpoint)))
        {
            File.Delete(path);
        }
        FolderSyncs.Sync(files.OutputDirectory);
    }

    /// <summary>Renames the partial outputs into place (the errors file only when a line failed, else it goes) and writes
    /// the summary. With <paramref name="doneBefore"/> (a commit done again after a crash), a rename already done is
    /// skipped; without it, a missing partial output throws.</summary>
    private static async Task PlaceOutputsAsync<T>(
        JobFiles files, bool anyLineFailed, T summary, JsonTypeInfo<T> summaryType, bool doneBefore, CancellationToken cancellationToken)
    {
        PlacePartial(files.Output, doneBefore);
        if (anyLineFailed)
        {
            PlacePartial(files.Errors, doneBefore);
        }
        else
        {
            File.Delete(JobFiles.Partial(files.Errors));
            File.Delete(files.Errors);
        }
        await WriteAtomicallyAsync(files.Summary, summary, summaryType, cancellationToken);
    }

    private static void PlacePartial(string path, bool doneBefore)
    {
        var partial = JobFiles.Partial(path);
        if (!doneBefore || File.Exists(partial))
        {
            File.Move(partial, path, overwrite: true);
        }
    }

    /// <summary>Writes <paramref name="value"/> as JSON to a temporary file, flushed to disk, then renames it over <paramref name="path"/>.</summary>
    private static async Task WriteAtomicallyAsync<T>(string path, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var temporary = JobFiles.Temporary(path);
        var handle = PosixFiles.OpenForWriting(temporary);
        RandomAccess.SetLength(handle, 0);
        await using (var stream = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 4096))
        {
            await JsonSerializer.SerializeAsync(stream, value, type, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static void ReclaimCompleted(string path)
    {
        var partial = JobFiles.Partial(path);
        if (!File.Exists(partial) && File.Exists(path))
        {
            File.Move(path, partial);
        }
    }
}
