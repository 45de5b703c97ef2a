using System.Text.Json;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Input;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Redrive;

/// <summary>
/// Everything a redrive checks before it touches the broker, in this order: a completed run of the input in the output
/// folder (its output, its summary, no checkpoint), the input is the one that run recorded (the whole file's hash in the
/// summary), a redrive left half-committed, then the list of lines to run again (each entry well-formed, in order, within
/// the file).
/// </summary>
internal static class RedriveCheck
{
    /// <param name="errorsSource">The list of lines to run again; null: the run's own <c>&lt;name&gt;.errors.jsonl</c>.</param>
    public static RedrivePlan Plan(string inputPath, string outputDirectory, string? errorsSource)
    {
        var name = Path.GetFileName(inputPath);
        var outputs = Enum.GetValues<OutputCompression>()
            .Select(c => new JobFiles(inputPath, outputDirectory, c))
            .Where(f => File.Exists(f.Output) || File.Exists(JobFiles.Partial(f.Output)))
            .ToList();
        if (outputs.Count == 0)
        {
            return RedrivePlan.Refuse($"no output of '{name}' in '{outputDirectory}': redrive runs again the failed lines of a completed run");
        }
        var files = outputs.FirstOrDefault(f => File.Exists(f.Output)) ?? outputs[0];
        if (File.Exists(files.Checkpoint))
        {
            return RedrivePlan.Refuse($"'{files.Checkpoint}' is there: the run of '{name}' is not complete; run publish again to complete it first");
        }
        if (ReadSummary(files) is not { } summary)
        {
            return RedrivePlan.Refuse($"'{files.Summary}' is missing or unreadable: redrive needs the summary of a completed run");
        }
        if (summary.InputFingerprint is null)
        {
            return RedrivePlan.Refuse($"'{files.Summary}' records no fingerprint of its input (a run by an older version): it cannot be redriven");
        }
        string fingerprint;
        try
        {
            fingerprint = InputFingerprint.OfWholeFile(files.InputPath);
        }
        catch (IOException ex)
        {
            return RedrivePlan.Refuse($"input file '{inputPath}' cannot be read: {ex.Message}");
        }
        if (fingerprint != summary.InputFingerprint)
        {
            return RedrivePlan.Refuse($"'{inputPath}' is not the input the run recorded in '{files.Summary}' (its content differs); nothing was changed");
        }
        var redrive = new RedriveFiles(files, errorsSource ?? files.Errors);
        if (File.Exists(redrive.PendingSummary))
        {
            if (IsPendingFor(redrive, summary))
            {
                return new RedrivePlan(RedriveStep.Commit, "", redrive, summary);
            }
            // A redrive of an earlier run of the file, which was published again since: not this run's to commit.
            files.RemoveRedriveFolder();
        }
        if (outputs.Count > 1 || !File.Exists(files.Output))
        {
            return RedrivePlan.Refuse($"'{outputDirectory}' holds {string.Join(" and ", outputs.Select(o => $"'{Path.GetFileName(o.Output)}'"))}: which one to redrive is not clear");
        }
        return PlanLines(redrive, summary);
    }

    private static RedrivePlan PlanLines(RedriveFiles redrive, JobSummary summary)
    {
        if (!File.Exists(redrive.ErrorsSource))
        {
            return summary.FailedLines == 0 && redrive.ErrorsSource == redrive.Files.Errors
                ? new RedrivePlan(RedriveStep.Nothing, $"{redrive.Files.Name}: no line failed; nothing to redrive")
                : RedrivePlan.Refuse($"'{redrive.ErrorsSource}' does not exist: it lists the lines to redrive");
        }
        long count = 0;
        try
        {
            foreach (var entry in ErrorsFile.Read(redrive.ErrorsSource))
            {
                if (entry.Line > summary.Lines)
                {
                    return RedrivePlan.Refuse($"'{redrive.ErrorsSource}' lists line {entry.Line:N0}, but '{summary.File}' has {summary.Lines:N0} lines");
                }
                count++;
            }
        }
        catch (ErrorsFileException ex)
        {
            return RedrivePlan.Refuse(ex.Message);
        }
        catch (IOException ex)
        {
            return RedrivePlan.Refuse($"'{redrive.ErrorsSource}' cannot be read: {ex.Message}");
        }
        return count == 0
            ? new RedrivePlan(RedriveStep.Nothing, $"{redrive.Files.Name}: '{redrive.ErrorsSource}' lists no line; nothing to redrive")
            : new RedrivePlan(RedriveStep.Run, "", redrive, summary, count);
    }

    /// <summary>True when the pending summary is an update of <paramref name="summary"/>'s run (or already in its place).</summary>
    private static bool IsPendingFor(RedriveFiles redrive, JobSummary summary) =>
        ReadSummary(redrive.PendingSummary) is { } pending && pending.TraceId == summary.TraceId && pending.StartedAt == summary.StartedAt;

    private static JobSummary? ReadSummary(JobFiles files) => ReadSummary(files.Summary);

    private static JobSummary? ReadSummary(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), ProducerJsonContext.Default.JobSummary);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
