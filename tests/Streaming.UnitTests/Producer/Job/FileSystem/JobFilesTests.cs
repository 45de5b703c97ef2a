using Streaming.Producer.Job.FileSystem;

namespace Streaming.UnitTests.Producer.Job.FileSystem;

public sealed class JobFilesTests
{
    private static readonly JobFiles s_gzip = new("/in/data.txt", "/out", OutputCompression.Gzip);

    [Fact]
    public void AnyLeft_AnyCompression_EveryNameAJobMayLeaveButItsLock()
    {
        Assert.Equal(
            ["data.txt.out", "data.txt.summary.json", "data.txt.errors.jsonl", "data.txt.out.partial", "data.txt.errors.jsonl.partial",
             "data.txt.checkpoint.json", "data.txt.published", "data.txt.out.gz", "data.txt.out.gz.partial", "data.txt.out.zst",
             "data.txt.out.zst.partial"],
            s_gzip.AnyLeft.Select(NameIn("/out")));
    }

    [Fact]
    public void Unfinished_CompressedJob_PartialOutputsInEveryCompressionCheckpointAndWatermark()
    {
        Assert.Equal(
            ["data.txt.out.gz.partial", "data.txt.out.partial", "data.txt.out.zst.partial", "data.txt.errors.jsonl.partial",
             "data.txt.checkpoint.json", "data.txt.checkpoint.json.tmp", "data.txt.published"],
            s_gzip.Unfinished.Select(NameIn("/out")));
    }

    [Fact]
    public void RedriveNames_AllInTheRedriveFolderBesideTheOutputs()
    {
        Assert.Equal("/out/data.txt.redrive", s_gzip.RedriveFolder);
        Assert.Equal("/out/data.txt.redrive/data.txt", s_gzip.RedriveLines.InputPath);
        Assert.Equal("/out/data.txt.redrive/data.txt.out", s_gzip.RedriveLines.Output);
        Assert.Equal("/out/data.txt.redrive/redrive.summary.json", s_gzip.RedrivePendingSummary);
        Assert.Equal("/out/data.txt.redrive/redrive.list", s_gzip.RedriveListIdentity);
    }

    private static Func<string, string> NameIn(string folder) => path =>
    {
        Assert.Equal(folder, Path.GetDirectoryName(path));
        return Path.GetFileName(path);
    };
}
