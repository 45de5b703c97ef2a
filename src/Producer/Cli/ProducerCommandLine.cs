using System.CommandLine;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Hosting;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Stdin;
using Streaming.Producer.Watching;

namespace Streaming.Producer.Cli;

/// <summary>
/// <c>Producer publish &lt;file&gt;...|- [--wait] [--out &lt;dir&gt;] [--batch-lines N] [--batch-bytes N] [--pipeline NAME]
/// [--rabbitmq &lt;uri&gt;]</c>, turned into configuration overrides and the list of jobs,
/// <c>Producer redrive &lt;file&gt; [--out &lt;dir&gt;] [--pipeline NAME] [--rabbitmq &lt;uri&gt;]</c>, and
/// <c>Producer watch [--data &lt;dir&gt;] [--pipeline NAME] [--rabbitmq &lt;uri&gt;]</c>.
/// </summary>
internal static class ProducerCommandLine
{
    public static readonly Argument<string[]> Files = new("file")
    {
        Description = "text files to process; each gives <out>/<name>.out. '-' alone: standard input, results on standard output",
        Arity = ArgumentArity.OneOrMore,
    };

    public static readonly Option<bool> Wait = new("--wait")
    {
        Description = "collect the results and write <name>.out, <name>.summary.json and <name>.errors.jsonl",
    };

    public static readonly Option<string> Out = new("--out")
    {
        Description = "folder for the outputs (default: each input file's folder)",
    };

    public static readonly Option<string> BatchLines = new("--batch-lines")
    {
        Description = "lines per message at most (default 10000)",
    };

    public static readonly Option<string> BatchBytes = new("--batch-bytes")
    {
        Description = "line bytes per message at most (default 983040); a longer single line travels alone",
    };

    public static readonly Option<string> RabbitMq = new("--rabbitmq")
    {
        Description = RabbitMqOptions.UriHelp,
    };

    public static readonly Option<string> Compress = new("--compress")
    {
        Description = "write <name>.out.gz (gzip) or <name>.out.zst (zstd) instead of <name>.out (default none)",
    };

    public static readonly Option<string> Pipeline = PipelineOption.Create();

    public static readonly Option<string> StdoutFormat = new("--stdout-format")
    {
        Description = "with '-': plain (a failed line is empty, listed on stderr) or tagged ('+result' or '!reason' per line) (default plain)",
    };

    public static readonly Option<string> Errors = new("--errors")
    {
        Description = "with '-': list the failed lines in this file (JSON lines) instead of on stderr",
    };

    public static readonly Command Publish = new("publish", "Process files (or standard input) and, with --wait, write their results.")
    {
        Files, Wait, Out, BatchLines, BatchBytes, Pipeline, Compress, StdoutFormat, Errors, RabbitMq,
    };

    public static readonly Argument<string> RedriveFile = new("file")
    {
        Description = "the input file of a completed run; its failed lines are read from it again",
    };

    public static readonly Option<string> RedriveOut = new("--out")
    {
        Description = "the folder of the run's outputs (default: the input file's folder)",
    };

    public static readonly Option<string> RedriveRabbitMq = new("--rabbitmq")
    {
        Description = RabbitMqOptions.UriHelp,
    };

    public static readonly Option<string> RedrivePipeline = PipelineOption.Create();

    public static readonly Command Redrive = new(
        "redrive", "Run again the lines listed in <out>/<name>.errors.jsonl and put their results in <out>/<name>.out.")
    {
        RedriveFile, RedriveOut, RedrivePipeline, RedriveRabbitMq,
    };

    public static readonly Option<string> Data = new("--data")
    {
        Description = "data folder: files dropped in <dir>/inbox, results in <dir>/outbox (default ./data)",
    };

    public static readonly Option<string> WatchRabbitMq = new("--rabbitmq")
    {
        Description = RabbitMqOptions.UriHelp,
    };

    public static readonly Option<string> WatchPipeline = PipelineOption.Create();

    public static readonly Command Watch = new("watch", "Run as a service: process every file dropped into <data>/inbox.")
    {
        Data, WatchPipeline, WatchRabbitMq,
    };

    public static RootCommand Create() => new("Streaming producer: streams the lines of files through RabbitMQ.")
    {
        Publish, Redrive, Watch,
    };

    /// <summary>The configuration overrides of <c>watch</c>, or null with a one-line error.</summary>
    public static Dictionary<string, string?>? ToWatchConfiguration(ParseResult result, out string? error)
    {
        var overrides = new Dictionary<string, string?>();
        if (!PipelineOption.TryAdd(result, WatchPipeline, PipelineKey, overrides, out error))
        {
            return null;
        }
        if (result.GetValue(Data) is { } data)
        {
            overrides[$"{Watching.WatchOptions.SectionName}:{nameof(Watching.WatchOptions.Data)}"] = data;
        }
        if (result.GetValue(WatchRabbitMq) is { } uri)
        {
            overrides[$"{RabbitMqOptions.SectionName}:{nameof(RabbitMqOptions.Uri)}"] = uri;
        }
        return overrides;
    }

    private const string PipelineKey = $"{ProducerOptions.SectionName}:{nameof(ProducerOptions.Pipeline)}";

    /// <summary>Returns the configuration overrides, or null with a one-line error.</summary>
    public static Dictionary<string, string?>? ToConfiguration(ParseResult result, out string? error)
    {
        var overrides = new Dictionary<string, string?>();
        error = null;
        if (!CountOption.TryAdd(result, BatchLines, 1_000_000, $"{ProducerOptions.SectionName}:{nameof(ProducerOptions.BatchLines)}", overrides, out error)
            || !CountOption.TryAdd(result, BatchBytes, ProducerOptions.MaxBatchBytes, $"{ProducerOptions.SectionName}:{nameof(ProducerOptions.BatchBytes)}", overrides, out error)
            || !PipelineOption.TryAdd(result, Pipeline, PipelineKey, overrides, out error))
        {
            return null;
        }
        if (result.GetValue(RabbitMq) is { } uri)
        {
            overrides[$"{RabbitMqOptions.SectionName}:{nameof(RabbitMqOptions.Uri)}"] = uri;
        }
        return overrides;
    }

    /// <summary>The configuration overrides of <c>redrive</c>, or null with a one-line error.</summary>
    public static Dictionary<string, string?>? ToRedriveConfiguration(ParseResult result, out string? error)
    {
        var overrides = new Dictionary<string, string?>();
        if (!PipelineOption.TryAdd(result, RedrivePipeline, PipelineKey, overrides, out error))
        {
            return null;
        }
        if (result.GetValue(RedriveRabbitMq) is { } uri)
        {
            overrides[$"{RabbitMqOptions.SectionName}:{nameof(RabbitMqOptions.Uri)}"] = uri;
        }
        return overrides;
    }

    /// <summary>Checks <c>redrive</c>'s input file and output folder; returns them, or null with a one-line error.</summary>
    public static (string Input, string OutputDirectory)? ToRedrive(ParseResult result, out string? error)
    {
        var file = result.GetValue(RedriveFile)!;
        var outDirectory = result.GetValue(RedriveOut);
        error = InputProblem(file);
        if (error is null && outDirectory is not null && !IsPath(outDirectory))
        {
            error = $"--out '{outDirectory}' is not a folder path";
        }
        else if (error is null && outDirectory is not null && !Directory.Exists(outDirectory))
        {
            error = $"--out '{outDirectory}' is not a folder";
        }
        return error is null ? (file, outDirectory ?? Path.GetDirectoryName(Path.GetFullPath(file))!) : null;
    }

    /// <summary>The input is standard input when the only file is <c>-</c>: returns how its results are written, or null
    /// (files, or a mistake: <paramref name="error"/> says which, in one line).</summary>
    public static StdinRequest? ToStdin(ParseResult result, out string? error)
    {
        error = null;
        var files = result.GetValue(Files) ?? [];
        if (!files.Contains(StdinRequest.Dash, StringComparer.Ordinal))
        {
            error = result.GetResult(StdoutFormat) is not null ? "--stdout-format is only for '-' (standard input)"
                : result.GetResult(Errors) is not null ? "--errors is only for '-' (standard input); a file's failed lines go to <name>.errors.jsonl"
                : null;
            return null;
        }
        error = files.Length > 1 ? "'-' (standard input) cannot be mixed with files, nor given twice"
            : result.GetResult(Out) is not null ? "--out has no use with '-': the results go to standard output"
            : result.GetResult(Compress) is not null ? "--compress has no use with '-': the results go to standard output"
            : null;
        if (error is not null)
        {
            return null;
        }
        if (!StdoutFormats.TryParse(result.GetValue(StdoutFormat), out var format))
        {
            error = $"--stdout-format '{result.GetValue(StdoutFormat)}' is not {StdoutFormats.Choices}";
            return null;
        }
        var errors = result.GetValue(Errors);
        if (errors is not null && (!IsPath(errors) || Directory.Exists(errors)))
        {
            error = $"--errors '{errors}' is not a file path";
            return null;
        }
        return new StdinRequest(format, errors);
    }

    /// <summary>Checks the input files and the output folder; returns the jobs, or null with a one-line error.</summary>
    public static List<JobFiles>? ToJobs(ParseResult result, out string? error)
    {
        var outDirectory = result.GetValue(Out);
        if (!OutputCompressions.TryParse(result.GetValue(Compress), out var compression))
        {
            error = $"--compress '{result.GetValue(Compress)}' is not {OutputCompressions.Choices}";
            return null;
        }
        if (outDirectory is not null && !IsPath(outDirectory))
        {
            error = $"--out '{outDirectory}' is not a folder path";
            return null;
        }
        if (outDirectory is not null && File.Exists(outDirectory))
        {
            error = $"--out '{outDirectory}' is a file, not a folder";
            return null;
        }
        var jobs = new List<JobFiles>();
        foreach (var file in result.GetValue(Files) ?? [])
        {
            if (InputProblem(file) is { } problem)
            {
                error = problem;
                return null;
            }
            jobs.Add(new JobFiles(file, outDirectory ?? Path.GetDirectoryName(Path.GetFullPath(file))!, compression));
        }
        var clash = jobs.GroupBy(j => j.Output, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            error = $"two input files would both write '{clash.Key}'";
            return null;
        }
        error = null;
        return jobs;
    }

    /// <summary>Why <paramref name="file"/> cannot be an input (one line), or null when it is a readable regular file.</summary>
    private static string? InputProblem(string file)
    {
        if (Directory.Exists(file))
        {
            return $"'{file}' is a folder, not a file";
        }
        if (!File.Exists(file))
        {
            return RawNames.DescribeUnreachable(file) is { } unreachable
                ? $"input file '{file}' cannot be opened: {unreachable}"
                : $"input file '{file}' does not exist";
        }
        // A FIFO would block the open below until a writer came; a device or socket is no file to cut into lines.
        try
        {
            if (FileProbe.Probe(file).Unprocessable is { } reason)
            {
                return $"input file '{file}' cannot be processed: {reason}";
            }
            using var probe = File.OpenRead(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"input file '{file}' cannot be read: {ex.Message}";
        }
        return null;
    }

    private static bool IsPath(string path) =>
        !string.IsNullOrWhiteSpace(path) && !path.Contains('\0', StringComparison.Ordinal);
}
