using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Redrive;

/// <summary>
/// Where a redrive of <see cref="Files"/> works: <c>&lt;out&gt;/&lt;name&gt;.redrive/</c> holds the lines to run again
/// (<c>&lt;name&gt;</c>, a job's input like any other, with its checkpoint and outputs beside it) and, once the new
/// outputs are spliced, the summary that commits them (<see cref="PendingSummary"/>). The folder goes when the redrive is
/// complete.
/// </summary>
internal sealed class RedriveFiles(JobFiles files, string errorsSource)
{
    public JobFiles Files => files;

    /// <summary>The list of lines to run again: <c>&lt;out&gt;/&lt;name&gt;.errors.jsonl</c>, or a file dropped into the
    /// watch service's <c>redrive/</c> folder.</summary>
    public string ErrorsSource => errorsSource;

    public string WorkDirectory => Path.Combine(files.OutputDirectory, files.Name + ".redrive");

    /// <summary>The redriven lines, in order, one a line: the input of the redrive's job.</summary>
    public JobFiles Lines => new(Path.Combine(WorkDirectory, files.Name), WorkDirectory);

    /// <summary>Written once the new outputs are complete under their <c>.partial</c> names: from then on the redrive
    /// only renames them into place (again, after a crash).</summary>
    public string PendingSummary => Path.Combine(WorkDirectory, "redrive.summary.json");
}
