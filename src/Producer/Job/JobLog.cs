using Microsoft.Extensions.Logging;

namespace Streaming.Producer.Job;

internal static partial class JobLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Job {JobId} for {File} started")]
    public static partial void Started(ILogger logger, Guid jobId, string file);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information,
        Message = "Job {JobId} for {File} resumes at line {Line} (batch {Sequence}, byte {Offset}); the run before had published through line {PublishedThrough}")]
    public static partial void Resumed(ILogger logger, Guid jobId, string file, long line, long sequence, long offset, long publishedThrough);

    [LoggerMessage(EventId = 404, Level = LogLevel.Information,
        Message = "Job {JobId} for {File} done: {Lines} lines, {Failed} failed, {Duplicates} duplicates dropped")]
    public static partial void Completed(ILogger logger, Guid jobId, string file, long lines, long failed, long duplicates);

    [LoggerMessage(EventId = 415, Level = LogLevel.Warning,
        Message = "{File}: the input changed since its checkpoint ({Reason}); starting it over")]
    public static partial void StartingOver(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 416, Level = LogLevel.Warning,
        Message = "{File}: the input changed while it was processed ({Before} bytes when taken, {Now} now); the output covers it as it was read")]
    public static partial void InputChangedWhileRead(ILogger logger, string file, long before, long now);

    [LoggerMessage(EventId = 440, Level = LogLevel.Information,
        Message = "{File}: decompressed the input again up to its checkpoint ({Bytes} bytes) in {Seconds:F1} s")]
    public static partial void DecompressedToCheckpoint(ILogger logger, string file, long bytes, double seconds);

    [LoggerMessage(EventId = 447, Level = LogLevel.Warning,
        Message = "{File}: {Reason}; starting it over on this pipeline")]
    public static partial void PipelineChangedStartingOver(ILogger logger, string file, string reason);
}
