using System.Diagnostics;
using System.Globalization;
using Streaming.Consumer.Processors.Exec;

namespace Streaming.UnitTests.Processing.Processors.Exec;

/// <summary>What <c>/proc</c> tells of a worker after its last answer: asleep on its input (in step), at work, or asleep
/// on something else.</summary>
public sealed class WorkerActivityTests
{
    [Theory]
    [InlineData("running", "Running")]
    [InlineData("{read} 0x0 0x55ad27759070 0x1000 0x7f35f355da58 0x0 0x0 0x7ffc5ed49098 0x7f35f37162ad", "WaitingForInput")]
    [InlineData("{read} 0x3 0x55ad27759070 0x1000 0x7f35f355da58 0x0 0x0 0x7ffc5ed49098 0x7f35f37162ad", "WaitingElsewhere")]
    [InlineData("230 0x1 0x1 0x7ffce30f05e0 0x0 0x0 0x0 0x7ffce30f05c8 0x7f2bf44ed503", "WaitingElsewhere")]
    [InlineData("-1 0x7ffce30f05c8 0x7f2bf44ed503", "WaitingElsewhere")]
    [InlineData("", "Running")]
    [InlineData("garbage", "Unknown")]
    public void FromSystemCall_ReadsOnlyAReadOfDescriptorZeroAsWaitingForInput(string call, string expected)
    {
        var read = WorkerActivityProbe.ReadCalls[0].ToString(CultureInfo.InvariantCulture);
        Assert.Equal(Enum.Parse<WorkerActivity>(expected), WorkerActivityProbe.FromSystemCall(call.Replace("{read}", read, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("cat", "WaitingForInput")]
    [InlineData("sleep 30", "WaitingElsewhere")]
    [InlineData("sh -c 'while :; do :; done'", "Running")]
    public async Task Of_LiveProcess_TellsWhatItDoes(string command, string expected)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec {command}");
        using var process = Process.Start(info)!;
        try
        {
            var group = WorkerGroup.Of(process.Id);
            var seen = WorkerActivity.Unknown;
            for (var look = 0; look < 100 && seen != Enum.Parse<WorkerActivity>(expected); look++)
            {
                await Task.Delay(20);
                seen = WorkerActivityProbe.Of(group);
            }
            Assert.Equal(Enum.Parse<WorkerActivity>(expected), seen);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
