using System.Globalization;
using Streaming.Messaging.Hosting;
using Streaming.Producer.Job;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Redrive;

namespace Streaming.Producer.Cli;

/// <summary>
/// <c>redrive &lt;file&gt; [--out &lt;dir&gt;]</c>: runs again the lines its run's errors file lists and puts their results
/// in the output. Everything that would refuse it is checked under the output's lock before the broker is touched
/// (<see cref="RedriveCheck"/>); exit codes as <c>publish --wait</c>.
/// </summary>
internal sealed class RedriveCommand(PublishCommand publish)
{
    public async Task<int> RunAsync(string inputPath, string outputDirectory, CancellationToken cancellationToken)
    {
        using var held = await PublishCommand.TryLockAsync(new JobFiles(inputPath, outputDirectory));
        if (held is null)
        {
            return UsageErrors.ExitCode;
        }
        var plan = RedriveCheck.Plan(inputPath, outputDirectory, errorsSource: null);
        switch (plan.Step)
        {
            case RedriveStep.Refused:
                await PublishCommand.WriteErrorAsync(plan.Message);
                return UsageErrors.ExitCode;
            case RedriveStep.Nothing:
                await Console.Out.WriteLineAsync(UsageErrors.Printable(plan.Message));
                return PublishCommand.ExitOk;
            case RedriveStep.Commit:
                // A redrive stopped after its outputs were spliced: only their renames are left.
                var committed = await RedriveJob.CommitAsync(
                    plan.Files!, RedriveJob.ReadPendingSummary(plan.Files!), cancellationToken);
                Report(committed);
                return ExitCode(committed);
            default:
                return await publish.RunInSessionAsync(
                    session =>
                    {
                        var redrive = new RedriveJob(plan.Files!, plan.Summary!, session);
                        return [new PlannedJob(redrive.Runner, redrive.RunAsync)];
                    },
                    Report,
                    static () => Task.FromResult(false),     // interrupted, it resumes from its own checkpoint
                    cancellationToken);
        }
    }

    private static int ExitCode(JobResult result) =>
        result.Summary.FailedLines > 0 ? PublishCommand.ExitLinesFailed : PublishCommand.ExitOk;

    private static void Report(JobResult result)
    {
        var s = result.Summary;
        var attempt = s.Attempts![^1];
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{UsageErrors.Printable(s.File)}: redrove {attempt.Lines:N0} lines in {attempt.DurationMs / 1000.0:0.0} s, {attempt.FailedLines:N0} still failing -> {UsageErrors.Printable(result.Files.Output)}"));
        PublishCommand.ReportErrors(result, Console.Out);
    }
}
