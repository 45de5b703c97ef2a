using System.Text.RegularExpressions;
using Streaming.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Python;

/// <summary>
/// The Python client (<c>sdk/python/streaming</c>) end to end: <c>sdk/python/test_streaming_pool_broker.py</c> with the
/// machine's <c>python3</c>, on a private node it starts itself, driving these builds of the Producer and the Consumer
/// (the Native AOT ones under <c>STREAMING_NATIVE_DIR</c>). Those tests skip when no executables are configured, so
/// this test fails when any of them skipped or fewer ran than expected: a skip is never green here.
/// </summary>
[Collection(PythonPoolCollection.Name)]
public sealed partial class PythonPoolTests(ITestOutputHelper output)
{
    private const int ExpectedTests = 14;

    [Fact]
    public async Task PythonPool_AgainstARealBroker_EveryTestRanAndPassed()
    {
        var root = ServiceBinaries.FindRepositoryRoot() ?? throw new InvalidOperationException("run from the repository");
        var environment = new Dictionary<string, string?>
        {
            ["STREAMING_PRODUCER"] = Executable(ServiceBinaries.Producer),
            ["STREAMING_CONSUMER"] = Executable(ServiceBinaries.Consumer),
            ["STREAMING_RABBITMQ"] = null,
            // A .dll runs with the dotnet found on PATH: the one running these tests.
            ["PATH"] = Path.GetDirectoryName(ServiceBinaries.DotnetHost) + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
        };
        await using var tests = ServiceProcess.Start("python3", ["-m", "unittest", "-v", "test_streaming_pool_broker"],
            environment, Path.Combine(root, "sdk", "python"), "python-pool-tests");

        var code = await tests.WaitForExitAsync(TimeSpan.FromMinutes(8), terminateGrace: TimeSpan.FromSeconds(60));
        output.WriteLine(tests.StandardError);

        Assert.True(code == 0, tests.Describe());
        var ran = RanPattern().Match(tests.StandardError);
        Assert.True(ran.Success, tests.Describe());
        Assert.Equal(ExpectedTests, int.Parse(ran.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain("skipped", tests.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\nOK", tests.StandardError, StringComparison.Ordinal);
    }

    private static string Executable(string name) => ServiceBinaries.LocateNative(name) ?? ServiceBinaries.Locate(name);

    [GeneratedRegex(@"^Ran (\d+) tests? in ", RegexOptions.Multiline)]
    private static partial Regex RanPattern();
}
