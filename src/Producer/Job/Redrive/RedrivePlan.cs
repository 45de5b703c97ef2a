using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Redrive;

/// <summary>What a redrive is to do, settled before the broker is touched.</summary>
internal enum RedriveStep
{
    /// <summary>Not this input, or no completed run to redrive: exit 2 with <see cref="RedrivePlan.Message"/>.</summary>
    Refused,

    /// <summary>No line is listed as failed: exit 0, nothing changes.</summary>
    Nothing,

    /// <summary>A redrive spliced its outputs and stopped before they were all in place: put them there.</summary>
    Commit,

    /// <summary>Run the listed lines again.</summary>
    Run,
}

/// <summary>The outcome of <see cref="RedriveCheck.Plan"/>.</summary>
internal sealed record RedrivePlan(RedriveStep Step, string Message, RedriveFiles? Files = null, JobSummary? Summary = null, long Lines = 0)
{
    public static RedrivePlan Refuse(string message) => new(RedriveStep.Refused, message);
}
