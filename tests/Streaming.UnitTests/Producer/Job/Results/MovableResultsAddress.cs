using Streaming.Producer.Job.Results;

namespace Streaming.UnitTests.Producer.Job.Results;

/// <summary>The process's results queue as the inbox gives it, moved by the test where the inbox would move it.</summary>
internal sealed class MovableResultsAddress(string queue) : IResultsAddress
{
    public string Queue { get; private set; } = queue;

    public void MoveTo(string fresh) => Queue = fresh;
}
