using Streaming.Producer.Collecting;

namespace Streaming.Producer.Jobs;

/// <summary>How one file's job ended.</summary>
internal sealed record JobResult(JobFiles Files, JobSummary Summary);
