using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job;

/// <summary>How one file's job ended.</summary>
internal sealed record JobResult(JobFiles Files, JobSummary Summary);
