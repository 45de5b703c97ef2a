namespace Streaming.Producer.Job;

/// <summary>A moment's view of one job, for the progress display.</summary>
internal readonly record struct JobProgress(
    string Name, bool Started, bool Done, long LinesWritten, long LinesAtStart, long BytesWritten, long BytesTotal,
    long FailedLines, TimeSpan Elapsed);
