using System.Text.Json;
using Microsoft.Extensions.Logging;
using Streaming.Producer.Collecting;
using Streaming.Producer.Publishing;

namespace Streaming.Producer.Jobs;

/// <summary>Loads a job's checkpoint, and only when it belongs to the same input bytes and batch settings.</summary>
internal static class CheckpointStore
{
    public static JobCheckpoint? TryLoad(JobFiles files, FileInfo input, CutSettings cut, ILogger logger)
    {
        if (!File.Exists(files.Checkpoint))
        {
            return null;
        }
        JobCheckpoint? checkpoint;
        try
        {
            checkpoint = JsonSerializer.Deserialize(File.ReadAllBytes(files.Checkpoint), ProducerJsonContext.Default.JobCheckpoint);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            JobLog.CheckpointIgnored(logger, files.Name, ex.Message);
            return null;
        }
        var reason = checkpoint switch
        {
            null => "empty",
            { SchemaVersion: not JobCheckpoint.CurrentSchema } => "another schema version",
            _ when checkpoint.InputPath != files.InputPath => "it belongs to another input path",
            _ when checkpoint.InputLength != input.Length || checkpoint.InputLastWriteUtc != input.LastWriteTimeUtc =>
                "the input file changed since",
            _ when checkpoint.BatchLines != cut.BatchLines || checkpoint.BatchBytes != cut.BatchBytes
                   || checkpoint.MaxLineBytes != cut.MaxLineBytes => "the batch settings changed since",
            _ when checkpoint.InputOffset > input.Length => "its offset is past the end of the input",
            _ => null,
        };
        if (reason is not null)
        {
            JobLog.CheckpointIgnored(logger, files.Name, reason);
            return null;
        }
        return checkpoint;
    }
}
