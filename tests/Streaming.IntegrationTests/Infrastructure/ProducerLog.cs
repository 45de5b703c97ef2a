using System.Text.RegularExpressions;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>What a producer's log (at Information) says about its results queue and its jobs.</summary>
public static partial class ProducerLog
{
    /// <summary>The results queue the producer process started on (one per process, shared by its jobs).</summary>
    public static string ResultsQueue(ServiceProcess producer)
    {
        var match = Receiving().Match(producer.StandardError);
        Assert.True(match.Success, $"the producer did not log its results queue.{Environment.NewLine}{producer.Describe()}");
        return match.Groups[1].Value;
    }

    /// <summary>The id of the producer's first job.</summary>
    public static Guid JobId(ServiceProcess producer)
    {
        var match = JobStarted().Match(producer.StandardError);
        Assert.True(match.Success, $"the producer did not log its job id.{Environment.NewLine}{producer.Describe()}");
        return Guid.Parse(match.Groups[1].Value);
    }

    [GeneratedRegex(@"come back to (streaming\.results\.[0-9a-f]{32})")]
    private static partial Regex Receiving();

    [GeneratedRegex("Job ([0-9a-f-]{36}) for")]
    private static partial Regex JobStarted();
}
