using System.Diagnostics;
using System.Globalization;
using Streaming.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Streaming.IntegrationTests.Cli;

/// <summary>The in-process runs change environment variables and the console, which belong to the whole process:
/// this collection runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliFuzzCollection
{
    public const string Name = "cli fuzz";
}

/// <summary>
/// Generated malformed values for every option and configuration variable, fed to both executables: each run exits 2
/// with exactly one line on stderr and no stack trace, or works. Most go through the executables' entry points in this
/// process (the code path <c>Main</c> takes, stopped before connecting); a sample goes through the real processes,
/// against a port where no broker listens. Seeded: the seed is printed, <c>STREAMING_TEST_SEED</c> replays it.
/// </summary>
[Collection(CliFuzzCollection.Name)]
public sealed class CliFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int InProcessCases = 2000;
    private const int ProcessCases = 32;
    private const int ProcessesAtOnce = 4;
    private static readonly TimeSpan s_inProcessTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_serviceRuns = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_serviceStarts = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_publishEnds = TimeSpan.FromSeconds(20);

    private readonly CliSandbox _sandbox = new();

    [Fact]
    public async Task BothExecutables_GeneratedMalformedValues_ExitTwoWithOneLineOrWork()
    {
        var seed = TestSeed.Next();
        output.WriteLine($"seed {seed} ({TestSeed.Variable}={seed} replays it)");
        var values = new CliFuzzValues(new Random(seed), _sandbox);
        var problems = new List<string>();
        var clock = Stopwatch.StartNew();
        var refused = 0;

        for (var i = 0; i < InProcessCases; i++)
        {
            var cliCase = values.Next();
            var outcome = await InProcessCli.RunAsync(cliCase, s_inProcessTimeout);
            refused += outcome.ExitCode == 2 ? 1 : 0;
            // In process, a command that passes its checks stops before connecting: publish 130, services and help 0.
            if (CliVerdict.Problem(outcome, [0, 130]) is { } problem)
            {
                problems.Add(Describe("in process", cliCase, outcome, problem));
            }
        }
        var inProcess = clock.Elapsed;

        var sample = Enumerable.Range(0, ProcessCases * 2).Select(_ => values.Next())
            .Where(c => !c.Arguments.Any(a => a.Contains('\0', StringComparison.Ordinal))).Take(ProcessCases).ToList();
        using var slots = new SemaphoreSlim(ProcessesAtOnce);
        var runs = sample.Select(async cliCase =>
        {
            await slots.WaitAsync();
            try
            {
                var outcome = await RunProcessAsync(cliCase);
                // A real publish reaches the dead port and gives up: 3. A service runs until SIGTERM: 0.
                return CliVerdict.Problem(outcome, cliCase.IsPublish ? [0, 3] : [0]) is { } problem
                    ? Describe("process", cliCase, outcome, problem)
                    : null;
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        problems.AddRange((await Task.WhenAll(runs)).OfType<string>());

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{InProcessCases} cases in process ({refused} exit 2, {InProcessCases - refused} other) in {inProcess.TotalSeconds:0.0} s, {sample.Count} as processes in {(clock.Elapsed - inProcess).TotalSeconds:0.0} s"));
        Assert.True(problems.Count == 0,
            $"seed {seed}: {problems.Count} of {InProcessCases + sample.Count} runs broke the rule:\n{string.Join("\n", problems.Take(25))}");
    }

    private static async Task<CliOutcome> RunProcessAsync(CliCase cliCase)
    {
        await using var process = cliCase.IsProducer
            ? ServiceProcess.StartProducer(cliCase.Arguments, cliCase.Environment)
            : ServiceProcess.StartConsumer(cliCase.Arguments, cliCase.Environment);
        try
        {
            int code;
            if (cliCase.IsPublish)
            {
                code = await process.WaitForExitAsync(s_publishEnds);
            }
            else
            {
                // A service that passes its checks keeps running (retrying the dead port): it gets SIGTERM, once it
                // has logged (its host, and so its SIGTERM handler, is up: on a loaded machine that took over 3 s, and
                // a SIGTERM before it ended the process with 143).
                var running = Stopwatch.StartNew();
                while (!process.HasExited
                    && (running.Elapsed < s_serviceRuns || process.StandardOutput.Length + process.StandardError.Length == 0)
                    && running.Elapsed < s_serviceStarts)
                {
                    await Task.Delay(50);
                }
                if (!process.HasExited)
                {
                    process.Terminate();
                }
                code = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            return new CliOutcome(code, process.StandardOutput, process.StandardError, null);
        }
        catch (TimeoutException ex)
        {
            return new CliOutcome(null, process.StandardOutput, process.StandardError, ex.Message);
        }
    }

    private static string Describe(string how, CliCase cliCase, CliOutcome outcome, string problem)
    {
        var stderr = outcome.StandardError.Length > 600 ? outcome.StandardError[..600] + "…" : outcome.StandardError;
        return $"- {how}: {cliCase}\n  {problem}; stderr: {stderr.Replace("\n", "\n    ", StringComparison.Ordinal).TrimEnd()}";
    }

    public void Dispose() => _sandbox.Dispose();
}
