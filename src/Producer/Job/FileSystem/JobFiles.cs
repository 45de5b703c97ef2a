
namespace Streaming.Producer.Job.FileSystem;

/// <summary>Where one input file's outputs go. Outputs are written under *.partial names and renamed when complete.</summary>
internal sealed class JobFiles(string inputPath, string outputDirectory, OutputCompression compression = OutputCompression.None)
{
    public string InputPath { get; } = Path.GetFullPath(inputPath);

    /// <summary>The input file's whole name: <c>data.txt</c> gives <c>data.txt.out</c>.</summary>
    public string Name { get; } = Path.GetFileName(inputPath);

    public string OutputDirectory { get; } = Path.GetFullPath(outputDirectory);

    /// <summary><c>data.txt.out</c>, or <c>data.txt.out.gz</c> / <c>.zst</c> when it is compressed.</summary>
    public string Output => Combine(".out" + compression.Suffix());

    public OutputCompression Compression => compression;

    /// <summary>The output's names in the other compressions: a run that starts over in another one removes their
    /// partial files.</summary>
    public IEnumerable<string> OtherOutputs =>
        Enum.GetValues<OutputCompression>().Where(c => c != compression).Select(c => Combine(".out" + c.Suffix()));

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
        OtherOutputs.Prepend(Output).Append(Errors).Select(Partial).Concat([Checkpoint, Checkpoint + ".tmp", Published]);

    public static string Partial(string path) => path + ".partial";

    private string Combine(string suffix) => Path.Combine(OutputDirectory, Name + suffix);
}
