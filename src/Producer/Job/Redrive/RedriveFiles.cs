using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Redrive;

/// <summary>
/// A redrive of <see cref="Files"/>: the list of lines to run again, and where the redrive works (named by
/// <see cref="JobFiles"/>: <c>&lt;out&gt;/&lt;name&gt;.redrive/</c> holds the lines to run again and, once the new outputs
/// are spliced, the summary that commits them, <see cref="PendingSummary"/>). The folder goes when the redrive is
/// complete.
/// </summary>
internal sealed class RedriveFiles(JobFiles files, string errorsSource)
{
    public JobFiles Files => files;

    /// <summary>The list of lines to run again: <c>&lt;out&gt;/&lt;name&gt;.errors.jsonl</c>, or a file dropped into the
    /// watch service's <c>redrive/</c> folder.</summary>
    public string ErrorsSource => errorsSource;

    public string WorkDirectory => files.RedriveFolder;

    /// <summary>The redriven lines, in order, one a line: the input of the redrive's job.</summary>
    public JobFiles Lines => files.RedriveLines;

    /// <summary>Written once the new outputs are complete under their <c>.partial</c> names: from then on the redrive
    /// only renames them into place (again, after a crash).</summary>
    public string PendingSummary => files.RedrivePendingSummary;

    /// <summary>Which run and which list the lines in <see cref="Lines"/> were copied for (<see cref="ListIdentity"/>):
    /// a folder left by a redrive of another run or list is not this one's to go on with.</summary>
    public string ListIdentityFile => files.RedriveListIdentity;

    /// <summary>The run's trace id and the hash of the list's bytes.</summary>
    public string ListIdentity(string runTraceId)
    {
        using var list = PosixFiles.OpenInput(errorsSource);
        var hash = new System.IO.Hashing.XxHash128();
        var buffer = new byte[64 * 1024];
        long offset = 0;
        int read;
        while ((read = RandomAccess.Read(list, buffer, offset)) > 0)
        {
            hash.Append(buffer.AsSpan(0, read));
            offset += read;
        }
        return runTraceId + " " + Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
