using System.Text.Json;
using Microsoft.Extensions.Logging;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;

namespace Streaming.Producer.Job.Checkpoints;

/// <summary>Loads a job's checkpoint, and only when it belongs to the same input bytes and batch settings; saves one.</summary>
internal static class CheckpointStore
{
    /// <summary>The checkpoint, or null. When there is one but its input is not this one (another path, length or
    /// modification time, or first bytes that hash otherwise), <paramref name="inputChange"/> says how. A checkpoint that
    /// is read but not used leaves its results queue behind: <paramref name="discardedResultsQueue"/> names it, for the
    /// job that starts over to delete (else it would hold that run's results until it expires).</summary>
    public static JobCheckpoint? TryLoad(
        JobFiles files, FileInfo input, CutSettings cut, InputFingerprint fingerprint, ILogger logger, out string? inputChange,
        out string? discardedResultsQueue)
    {
        inputChange = null;
        discardedResultsQueue = null;
        if (!File.Exists(files.Checkpoint))
        {
            return null;
        }
        JobCheckpoint? checkpoint;
        try
        {
            checkpoint = JsonSerializer.Deserialize(File.ReadAllBytes(files.Checkpoint), CheckpointJsonContext.Default.JobCheckpoint);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            CheckpointLog.CheckpointIgnored(logger, files.Name, ex.Message);
            return null;
        }
        var reason = checkpoint switch
        {
            null => "empty",
            { SchemaVersion: not JobCheckpoint.CurrentSchema } => "another schema version",
            _ when checkpoint.BatchLines != cut.BatchLines || checkpoint.BatchBytes != cut.BatchBytes
                   || checkpoint.MaxLineBytes != cut.MaxLineBytes => "the batch settings changed since",
            _ when fingerprint.Compression != InputCompression.None && checkpoint.InputCompressedOffset is null =>
                "it was made by a version that read compressed inputs as they are",
            _ when checkpoint.OutputCompression != files.Compression.CheckpointName() =>
                $"its output was compressed with {checkpoint.OutputCompression ?? "none"}, this run's with {files.Compression.CheckpointName() ?? "none"}",
            _ => null,
        };
        if (checkpoint is not null)
        {
            discardedResultsQueue = checkpoint.AnsweredTo();
        }
        if (reason is not null)
        {
            CheckpointLog.CheckpointIgnored(logger, files.Name, reason);
            return null;
        }
        inputChange = DescribeInputChange(checkpoint!, files, input, fingerprint);
        if (inputChange is not null)
        {
            return null;
        }
        discardedResultsQueue = null;
        return checkpoint;
    }

    /// <summary>Writes <paramref name="checkpoint"/> in place of the last one, atomically. The outputs it vouches for
    /// must be flushed first.</summary>
    public static Task SaveAsync(JobFiles files, JobCheckpoint checkpoint, CancellationToken cancellationToken) =>
        files.SaveCheckpointAsync(checkpoint, CheckpointJsonContext.Default.JobCheckpoint, cancellationToken);

    private static string? DescribeInputChange(JobCheckpoint checkpoint, JobFiles files, FileInfo input, InputFingerprint fingerprint)
    {
        if (checkpoint.InputPath != files.InputPath)
        {
            return $"the checkpoint belongs to another input, '{checkpoint.InputPath}'";
        }
        if (checkpoint.InputLength != input.Length || checkpoint.InputLastWriteUtc != input.LastWriteTimeUtc)
        {
            return "its length or modification time changed since the checkpoint";
        }
        if (checkpoint.InputCompressedOffset is { } compressed)
        {
            fingerprint.RecordCut(checkpoint.InputOffset, compressed);
        }
        if (checkpoint.InputFingerprint != FingerprintOrNull(fingerprint, checkpoint.InputOffset))
        {
            return $"its first {checkpoint.InputOffset:N0} bytes are not the ones published before (same length and time, other content)";
        }
        return null;
    }

    private static string? FingerprintOrNull(InputFingerprint fingerprint, long offset)
    {
        try
        {
            return fingerprint.Through(offset);
        }
        catch (InputShrankException)
        {
            return null;
        }
    }
}
