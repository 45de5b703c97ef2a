namespace Streaming.Producer.Job.FileSystem;

/// <summary>
/// The names of a job's files: where one input file's outputs go. Outputs are written under *.partial names and renamed
/// when complete. Only names: the job's core holds them; <see cref="JobFileMoves"/> renames and deletes the files.
/// </summary>
internal sealed class JobFiles(string inputPath, string outputDirectory, OutputCompression compression = OutputCompression.None)
{
    public string InputPath { get; } = Path.GetFullPath(inputPath);

    /// <summary>The input file's whole name: <c>data.txt</c> gives <c>data.txt.out</c>.</summary>
    public string Name { get; } = Path.GetFileName(inputPath);

    public string OutputDirectory { get; } = Path.GetFullPath(outputDirectory);

    /// <summary><c>data.txt.out</c>, or <c>data.txt.out.gz</c> / <c>.zst</c> when it is compressed.</summary>
    public string Output => OutputIn(compression);

    public OutputCompression Compression => compression;

    /// <summary>The output's names in the other compressions: a run that starts over in another one removes their
    /// partial files.</summary>
    public IEnumerable<string> OtherOutputs =>
        Enum.GetValues<OutputCompression>().Where(c => c != compression).Select(OutputIn);

    public string Errors => Combine(".errors.jsonl");

    public string Summary => Combine(".summary.json");

    public string Checkpoint => Combine(".checkpoint.json");

    /// <summary>Held by the one process that writes these outputs (<see cref="OwnerLock"/>).</summary>
    public string Lock => Combine(".lock");

    /// <summary>How far publishing got (<c>PublishWatermark</c>); lives and goes with the checkpoint.</summary>
    public string Published => Combine(".published");

    /// <summary>What an unfinished run leaves: the partial outputs (in every compression), the checkpoint and the
    /// publish watermark. A cancelled job's are removed.</summary>
    public IEnumerable<string> Unfinished =>
        OtherOutputs.Prepend(Output).Append(Errors).Select(Partial).Concat([Checkpoint, Temporary(Checkpoint), Published]);

    /// <summary>Every file a job of this name may leave, complete or not, in any compression (not its lock, nor a
    /// checkpoint's temporary file): a new input is given a name none of them uses.</summary>
    public IEnumerable<string> AnyLeft =>
    [
        OutputIn(OutputCompression.None), Summary, Errors, Partial(OutputIn(OutputCompression.None)), Partial(Errors), Checkpoint, Published,
        .. Enum.GetValues<OutputCompression>().Where(c => c != OutputCompression.None).SelectMany(c => new[] { OutputIn(c), Partial(OutputIn(c)) }),
    ];

    /// <summary>Where a redrive of the job works: <c>&lt;out&gt;/&lt;name&gt;.redrive/</c> holds the lines to run again
    /// (<see cref="RedriveLines"/>, a job's input like any other, with its checkpoint and outputs beside it), which run and
    /// list they were copied for, and, once the new outputs are spliced, the summary that commits them. It goes when the
    /// redrive is complete.</summary>
    public string RedriveFolder => Combine(".redrive");

    /// <summary>The redriven lines, in order, one a line: the input of the redrive's job.</summary>
    public JobFiles RedriveLines => new(Path.Combine(RedriveFolder, Name), RedriveFolder);

    /// <summary>Written once the new outputs are complete under their <c>.partial</c> names: from then on the redrive
    /// only renames them into place (again, after a crash).</summary>
    public string RedrivePendingSummary => Path.Combine(RedriveFolder, "redrive.summary.json");

    /// <summary>Which run and which list the lines in <see cref="RedriveLines"/> were copied for.</summary>
    public string RedriveListIdentity => Path.Combine(RedriveFolder, "redrive.list");

    public static string Partial(string path) => path + ".partial";

    /// <summary>Where a file written whole is written first, to be renamed over <paramref name="path"/>.</summary>
    public static string Temporary(string path) => path + ".tmp";

    private string OutputIn(OutputCompression outputCompression) => Combine(".out" + outputCompression.Suffix());

    private string Combine(string suffix) => Path.Combine(OutputDirectory, Name + suffix);
}
