using Streaming.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Faults;

/// <summary>
/// The short chaos run of <c>bench/chaos.py --quick</c> (60,000 lines, sha256:30, two consumers killed every few seconds,
/// the broker and the producer each killed once), on a node of its own, checked byte for byte against hashlib.
/// </summary>
[Collection(ChaosRunCollection.Name)]
public sealed class ChaosRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ChaosQuick_EverythingKilledAtSeededMoments_NothingLostNothingDuplicatedQueuesEmpty()
    {
        var root = ServiceBinaries.FindRepositoryRoot() ?? throw new InvalidOperationException("run from the repository");
        var seed = TestSeed.Next();
        await using var chaos = ServiceProcess.Start("python3",
            [Path.Combine(root, "bench", "chaos.py"), "--quick", "--no-build", "--configuration", ServiceBinaries.Configuration,
             "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            workingDirectory: root, name: "chaos.py");

        // chaos.py gives up by itself after 4 minutes; SIGTERM lets it stop its broker node, which is not its child.
        var code = await chaos.WaitForExitAsync(TimeSpan.FromMinutes(5), terminateGrace: TimeSpan.FromSeconds(30));
        output.WriteLine(chaos.StandardOutput);

        Assert.True(code == 0, $"seed {seed}: {chaos.Describe()}");
        Assert.Contains("lost:                      0", chaos.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("duplicated:                0", chaos.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("queues empty:              yes", chaos.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("broker kills (kill -9):    1", chaos.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("producer kills (kill -9):  1", chaos.StandardOutput, StringComparison.Ordinal);
    }
}
