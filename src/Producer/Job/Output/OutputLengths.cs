namespace Streaming.Producer.Job.Output;

/// <summary>How far a job's outputs are complete: the committed bytes of each file and the failed lines among them.</summary>
internal sealed record OutputLengths(long Output, long Errors, long FailedLines);
