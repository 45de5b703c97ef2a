using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Streaming.Consumer.Processors;
using Streaming.Consumer.Processors.Exec;

namespace Streaming.UnitTests.Processing.Processors.Exec;

/// <summary>The worker protocol against real processes (<c>sh</c>, <c>cat</c>): framing, plain answers, deaths.</summary>
public sealed class ExecWorkerTests
{
    private static readonly ExecSettings s_settings = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), 1000, 100, TimeSpan.FromMilliseconds(20));
    private const string Hello = "printf '\\000streaming-worker framed 1\\n'";

    [Fact]
    public async Task RunAsync_FramedWorker_SuccessesAndFailuresByTheirFirstByte()
    {
        await using var worker = Start($"sh -c \"{Hello}; read a; printf '+one\\n-it broke\\n+\\n-\\n++two\\n'; cat >/dev/null\"");
        var results = new Results();

        var outcome = await worker.RunAsync(Run(results, 5), 0, 5, CancellationToken.None);

        Assert.Equal(WorkerRunOutcome.Complete(5), outcome);
        Assert.True(worker.Framed);
        Assert.Equal(["0 ok one", "1 failed it broke", "2 ok ", "3 failed the command failed the line", "4 ok +two"], results.Entries);
    }

    /// <summary>On a loaded machine a framed worker can take longer than the patience to say hello: it was then killed
    /// as out of step, and its lines retried on fresh workers (in CI a stalled test worker died that way, and a line
    /// whose retry waited longer than the line timeout for a hello failed).</summary>
    [Fact]
    public async Task RunAsync_FramedWorkerHelloAfterThePatience_ItsAnswersAreTakenAndItLivesOn()
    {
        var protocol = new ExecProtocol();
        await using var worker = ExecWorker.Start(
            Command($"sh -c \"sleep 1.5; {Hello}; sed -u 's/^/+/'\""), s_settings, protocol, NullLogger.Instance);
        var results = new Results();

        var outcome = await worker.RunAsync(Run(results, 3), 0, 3, CancellationToken.None);

        Assert.Equal(WorkerRunOutcome.Complete(3), outcome);
        Assert.Equal(["0 ok line 0", "1 ok line 1", "2 ok line 2"], results.Entries);
        Assert.True(worker.Framed);
        Assert.True(worker.IsUsable, "a slow framed worker must not be killed");
        Assert.Equal(WorkerProtocol.Framed, protocol.Mode);
    }

    [Fact]
    public async Task RunAsync_FramedWorkerWritesAnUnframedLine_OutOfStepAtThatLineAndKilled()
    {
        await using var worker = Start($"sh -c \"{Hello}; read a; printf '+one\\ndebug: print\\n+two\\n'; cat >/dev/null\"");
        var results = new Results();

        var outcome = await worker.RunAsync(Run(results, 3), 0, 3, CancellationToken.None);

        Assert.Equal((1, WorkerFault.OutOfStep), (outcome.Answered, outcome.Fault));
        Assert.Equal(["0 ok one"], results.Entries);
        Assert.False(worker.IsUsable);
    }

    [Fact]
    public async Task RunAsync_PlainWorkerEchoesTheHello_NotFramedAndTheEchoIsNotAnAnswer()
    {
        await using var worker = Start("cat");
        var results = new Results();
        string[] lines = ["+plus", "\0streaming-worker framed 1", "-minus"];

        var outcome = await worker.RunAsync(Run(results, lines), 0, lines.Length, CancellationToken.None);

        Assert.Equal((1, WorkerFault.OutOfStep), (outcome.Answered, outcome.Fault));
        Assert.False(worker.Framed);
        Assert.Equal(["0 ok +plus"], results.Entries);
    }

    [Fact]
    public async Task RunAsync_PlainWorker_EveryLineIsTheAnswerEvenWithAFramingByteFirst()
    {
        await using var worker = Start("cat");
        var results = new Results();
        string[] lines = ["+plus", "-minus", "", "\0streaming-worker framed 1x", "\r\t bytes \u00ff"];

        var outcome = await worker.RunAsync(Run(results, lines), 0, lines.Length, CancellationToken.None);

        Assert.Equal(lines.Length, outcome.Answered);
        Assert.False(worker.Framed);
        Assert.Equal(lines.Select((l, i) => $"{i} ok {l}"), results.Entries);
    }

    [Fact]
    public async Task RunAsync_PlainWorkerAnswersTwiceForOneLine_SurplusMakesItOutOfStep()
    {
        await using var worker = Start("sh -c \"read a; printf 'x\\ny\\n'; cat >/dev/null\"");
        var results = new Results();

        var outcome = await worker.RunAsync(Run(results, 1), 0, 1, CancellationToken.None);
        if (outcome.Fault == WorkerFault.None)
        {
            Assert.Equal(ExecWorker.MoreAnswers, (await worker.CheckQuietAsync(TimeSpan.FromSeconds(5), CancellationToken.None)).Doubt);
        }
        else
        {
            Assert.Equal(WorkerFault.OutOfStep, outcome.Fault);
        }
    }

    [Fact]
    public async Task CheckQuietAsync_WorkerInStep_QuietAndStillUsable()
    {
        await using var worker = Start("cat");
        var results = new Results();
        await worker.RunAsync(Run(results, 3), 0, 3, CancellationToken.None);

        Assert.False((await worker.CheckQuietAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None)).InDoubt);
        await worker.RunAsync(Run(results, 6), 3, 3, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"{i} ok line {i}"), results.Entries);
        Assert.True(worker.IsUsable);
    }

    [Fact]
    public async Task RunAsync_WorkerWritesBeforeItIsSentALine_OutOfStep()
    {
        await using var worker = Start("sh -c \"echo banner; cat\"");

        var outcome = await worker.RunAsync(Run(new Results(), 2), 0, 2, CancellationToken.None);

        Assert.Equal((0, WorkerFault.OutOfStep), (outcome.Answered, outcome.Fault));
        Assert.Equal("the command wrote output before it was sent a line", outcome.Reason);
    }

    [Fact]
    public async Task RunAsync_PlainWorkerManyRuns_PipelinesAndStaysInStep()
    {
        await using var worker = Start("cat");
        var results = new Results();
        var lines = Enumerable.Range(0, 5000).Select(i => $"line {i} " + new string('x', i % 300)).ToArray();

        for (var from = 0; from < lines.Length; from += 1000)
        {
            await worker.RunAsync(Run(results, lines), from, 1000, CancellationToken.None);
        }

        Assert.Equal(lines.Select((l, i) => $"{i} ok {l}"), results.Entries);
        Assert.True(worker.IsUsable);
    }

    [Fact]
    public async Task RunAsync_WorkerExitsAfterTwoAnswers_ReportsTheAnsweredAndTheExitCode()
    {
        await using var worker = Start("sh -c 'read a; echo \"$a\"; read b; echo \"$b\"; read c; exit 3'");
        var results = new Results();

        var outcome = await worker.RunAsync(Run(results, ["a", "b", "c", "d"]), 0, 4, CancellationToken.None);

        Assert.Equal(2, outcome.Answered);
        Assert.Equal("command exited with code 3", outcome.Reason);
        Assert.False(worker.IsUsable);
        Assert.Equal(["0 ok a", "1 ok b"], results.Entries);
    }

    [Fact]
    public async Task RunAsync_NoAnswerWithinTheLineTimeout_WorkerKilledAndTimeoutReported()
    {
        await using var worker = ExecWorker.Start(
            Command("sleep 600"), s_settings with { LineTimeout = TimeSpan.FromMilliseconds(1300) }, new ExecProtocol(), NullLogger.Instance);

        var outcome = await worker.RunAsync(Run(new Results(), ["a"]), 0, 1, CancellationToken.None);

        Assert.Equal(0, outcome.Answered);
        Assert.StartsWith("command took longer than 1.3 s on this line (worker killed); it had answered no line at all", outcome.Reason);
        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RunAsync_OutputLineOverTheLimit_FailsThatLineOnlyAndStaysInStep()
    {
        await using var worker = Start("sh -c \"read a; printf 'short\\n'; head -c 1000000 /dev/zero | tr '\\\\000' x; printf '\\nnext\\n'; cat >/dev/null\"");
        var results = new Results();

        var outcome = await worker.RunAsync(Run(results, ["1", "2", "3"]), 0, 3, CancellationToken.None);

        Assert.Equal(3, outcome.Answered);
        Assert.Equal(["0 ok short", "1 failed the command's output line is longer than 100 bytes", "2 ok next"], results.Entries);
    }

    [Fact]
    public async Task RunAsync_Cancelled_ThrowsAndTheWorkerIsKilled()
    {
        await using var worker = Start("sleep 600");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => worker.RunAsync(Run(new Results(), ["a"]), 0, 1, cancel.Token));

        Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task DisposeAsync_WorkerIgnoresSigterm_KilledAfterTheGrace()
    {
        var worker = Start("sh -c 'trap \"\" TERM; read line; echo ready; while :; do sleep 1; done'");
        // Its answer shows the trap is set: a SIGTERM before that would end it at once.
        var results = new Results();
        await worker.RunAsync(Run(results, ["go"]), 0, 1, CancellationToken.None);
        Assert.Equal(["0 ok ready"], results.Entries);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await worker.DisposeAsync();

        Assert.InRange(clock.Elapsed, s_settings.StopGrace - TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(15));
    }

    private static ExecCommand Command(string commandLine) =>
        ExecCommand.TryCreate(commandLine, out var error) ?? throw new InvalidOperationException(error);

    private static ExecWorker Start(string commandLine) => ExecWorker.Start(Command(commandLine), s_settings, new ExecProtocol(), NullLogger.Instance);

    private static WorkerRun Run(Results results, int count) => Run(results, Enumerable.Range(0, count).Select(i => $"line {i}").ToArray());

    private static WorkerRun Run(Results results, string[] lines) =>
        new(lines.Select(l => (ReadOnlyMemory<byte>)Encoding.Latin1.GetBytes(l)).ToList(), Enumerable.Range(0, lines.Length).ToList(), results);

    private sealed class Results : ILineRunResults
    {
        public List<string> Entries { get; } = [];

        public void Succeeded(int index, ReadOnlySpan<byte> output) => Entries.Add($"{index} ok {Encoding.Latin1.GetString(output)}");

        public void Failed(int index, string reason) => Entries.Add($"{index} failed {reason}");
    }
}
