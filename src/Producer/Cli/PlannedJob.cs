using Streaming.Producer.Job;

namespace Streaming.Producer.Cli;

/// <summary>One job of a command: the runner whose progress is shown, and what runs it to its result (the runner itself
/// for <c>publish</c>; for <c>redrive</c>, the redrive around the runner of its lines).</summary>
internal sealed record PlannedJob(JobRunner Runner, Func<CancellationToken, Task<JobResult>> RunAsync)
{
    public static PlannedJob Of(JobRunner runner) => new(runner, runner.RunAsync);
}
