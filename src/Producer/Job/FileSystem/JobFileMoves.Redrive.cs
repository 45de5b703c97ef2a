using System.Text.Json.Serialization.Metadata;

namespace Streaming.Producer.Job.FileSystem;

/// <summary>A redrive's folder (<see cref="JobFiles.RedriveFolder"/>): made, filled with the lines to run again, and
/// committed with the job's new outputs.</summary>
internal static partial class JobFileMoves
{
    /// <summary>Makes the redrive's folder with the identity of the run and list it is for.</summary>
    public static async Task CreateRedriveFolderAsync(this JobFiles files, string listIdentity, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(files.RedriveFolder);
        await File.WriteAllTextAsync(files.RedriveListIdentity, listIdentity, cancellationToken);
        FolderSyncs.Sync(files.OutputDirectory);
    }

    /// <summary>Removes the redrive's folder (left by a redrive of another run or list, or done).</summary>
    public static void RemoveRedriveFolder(this JobFiles files) => Directory.Delete(files.RedriveFolder, recursive: true);

    /// <summary>Renames the copied lines, flushed under their <c>.partial</c> name, into place.</summary>
    public static void PlaceRedriveLines(this JobFiles files)
    {
        var lines = files.RedriveLines.InputPath;
        File.Move(JobFiles.Partial(lines), lines, overwrite: true);
        FolderSyncs.Sync(files.RedriveFolder);
    }

    /// <summary>Writes the summary that commits the spliced outputs (<see cref="JobFiles.RedrivePendingSummary"/>), whole.</summary>
    public static Task SavePendingRedriveSummaryAsync<T>(
        this JobFiles files, T summary, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(files.RedrivePendingSummary, summary, type, cancellationToken);

    /// <summary>Puts the spliced outputs in place and writes the summary, then removes the list of lines run again
    /// (<paramref name="errorsSource"/>, unless it is the errors file itself) and the redrive's folder; done again after a
    /// crash, it finishes the same.</summary>
    public static async Task CommitRedriveAsync<T>(
        this JobFiles files, bool anyLineFailed, T summary, JsonTypeInfo<T> summaryType, string errorsSource,
        CancellationToken cancellationToken)
    {
        await PlaceOutputsAsync(files, anyLineFailed, summary, summaryType, doneBefore: true, cancellationToken);
        FolderSyncs.Sync(files.OutputDirectory);
        if (errorsSource != files.Errors)
        {
            File.Delete(errorsSource);
        }
        files.RemoveRedriveFolder();
        FolderSyncs.Sync(files.OutputDirectory);
    }
}
