using Microsoft.Extensions.Logging;
using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Core;

/// <summary>What every part of one job logs and times against: its files, the clock and the logger.</summary>
internal sealed record JobContext(JobFiles Files, TimeProvider Time, ILogger Logger);
