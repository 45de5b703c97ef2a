using System.Globalization;
using System.Text;

namespace Streaming.IntegrationTests.Cli;

/// <summary>
/// Generates command lines with malformed values, from one seed: numbers, broker URIs (alone and in lists), processor
/// specs, paths, and the environment variables behind every option. Most are wrong; some happen to be valid, which
/// is fine: they must then work.
/// </summary>
internal sealed class CliFuzzValues(Random random, CliSandbox sandbox)
{
    public const string UriVariable = "RabbitMq__Uri";

    private static readonly string[] s_numbers =
    [
        "", " ", "0", "-1", "-0", "+1", "1.5", "1,000", "1_000", "1e3", "0x10", "2147483647", "2147483648", "4294967296",
        "99999999999999999999", "NaN", "Infinity", "∞", "١٢", "１２", " 7", "7 ", "7\t", "\u00a07", "seven", "null", "true",
        "[1]", "{}", "%41", "1/2", "--5", "5-", "٣", "00", "007", "0.0", "-2147483648", "65536", "65535", "\u200b5",
    ];

    private static readonly string[] s_processorNames = ["identity", "upper", "wordcount", "sha256", "delay", "nope", "", "IDENTITY", "Sha256", " identity"];

    private static readonly string[] s_logLevels = ["Verbose", "trace", "Information", "none", "None", "0", "7", "-1", "", "Debug2", "warning "];

    private static readonly string[] s_badUris =
    [
        "amqp://guest:guest@127.0.0.1:5672/a/b", "amqp://guest:guest@127.0.0.1:5672/%zz/q", "amqp://guest:guest@127.0.0.1:0/",
        "amqp://guest:guest@127.0.0.1:5672/,not a uri", "http://example/", "not a uri", "", " ", ",", ",,", "amqp://",
        "amqp:///", "amqp://:5672/", "amqp://[::1/", "amqp://u:p:q@h/", "amqp://u:p@@h/", "amqp://h:-1/", "amqp://h:65536/",
        "amqp://h:abc/", "amqp://h/?heartbeat=1", "amqp://h/#x", "amqps://h:0/", "amqp:h", "amqp:/h/", "//h/", "amqp://h/a%",
        "amqp://" + new string('a', 300) + "/", "amqp://h/" + new string('v', 300) + "/x", "amqp://h\0/", "amqp://h /",
    ];

    /// <summary>(variable, kind, applies to: p = publish, w = watch, c = consumer).</summary>
    private static readonly (string Name, char Kind, string Scope)[] s_variables =
    [
        (UriVariable, 'u', "pwc"), ("RabbitMq__ConnectTimeoutSeconds", 'n', "pwc"), ("RabbitMq__HeartbeatSeconds", 'n', "pwc"),
        ("RabbitMq__PublishTimeoutSeconds", 'n', "pwc"), ("RabbitMq__CaCertificateFile", 'f', "pwc"),
        ("RabbitMq__PasswordFile", 'f', "pwc"), ("RabbitMq__Password", 'g', "pwc"),
        ("Producer__BatchLines", 'n', "pw"), ("Producer__BatchBytes", 'n', "pw"), ("Producer__MaxLineBytes", 'n', "pw"),
        ("Producer__Window", 'n', "pw"), ("Producer__PublishesInFlight", 'n', "pw"), ("Producer__ParallelFiles", 'n', "pw"),
        ("Producer__ProgressIntervalSeconds", 'n', "pw"), ("Producer__RetransmitSeconds", 'n', "pw"),
        ("Watch__Data", 'd', "w"), ("Watch__QuietPeriodMilliseconds", 'n', "w"), ("Watch__PollIntervalMilliseconds", 'n', "w"),
        ("Watch__FilesAtOnce", 'n', "w"), ("Watch__Window", 'n', "w"),
        ("Consumer__Processor", 's', "c"), ("Consumer__Prefetch", 'n', "c"), ("Consumer__Concurrency", 'n', "c"),
        ("Consumer__MaxLineBytes", 'n', "c"), ("Consumer__DrainSeconds", 'n', "c"),
        ("Producer__Pipeline", 'i', "pw"), ("Consumer__Pipeline", 'i', "c"),
        ("Health__File", 'd', "pwc"), ("Health__IntervalSeconds", 'n', "pwc"), ("Logging__LogLevel__Default", 'l', "pwc"),
    ];

    private static readonly string[] s_tokens =
    [
        "publish", "watch", "--wait", "--out", "--batch-lines", "--batch-bytes", "--rabbitmq", "--data", "--processor",
        "--prefetch", "--concurrency", "--pipeline", "--help", "-h", "-?", "--version", "--", "-", "--wait=true", "--batch-lines=5", "@args",
        "--nope", "PUBLISH", "\0", "",
    ];

    public CliCase Next() => random.Next(20) switch
    {
        < 4 => Publish(),
        < 6 => PublishFiles(),
        < 8 => Watch(),
        < 11 => Consumer(),
        < 18 => WithVariable(),
        _ => RandomTokens(),
    };

    private CliCase Publish()
    {
        var (option, value) = random.Next(5) switch
        {
            0 => ("--batch-lines", Number()),
            1 => ("--batch-bytes", Number()),
            2 => ("--out", Path()),
            3 => ("--pipeline", PipelineName()),
            _ => ("--rabbitmq", Uri()),
        };
        List<string> arguments = random.Next(4) == 0
            ? ["publish", option, value, sandbox.Input, "--wait"]
            : ["publish", sandbox.Input, "--wait", option, value];
        if (random.Next(8) == 0)
        {
            arguments.RemoveAt(arguments.IndexOf(value));      // the option without its value
        }
        return Case("Producer", arguments);
    }

    private CliCase PublishFiles()
    {
        var files = Enumerable.Range(0, random.Next(1, 3)).Select(_ => random.Next(3) == 0 ? sandbox.Input : Path()).ToList();
        return Case("Producer", ["publish", .. files, "--wait"]);
    }

    private CliCase Watch() => random.Next(3) switch
    {
        0 => Case("Producer", ["watch", "--data", Path()]),
        1 => Case("Producer", ["watch", "--data", sandbox.NewFolder(), "--rabbitmq", Uri()]),
        _ => Case("Producer", ["watch", "--data", sandbox.NewFolder(), Pick(s_tokens), Pick(s_numbers)]),
    };

    private CliCase Consumer() => random.Next(5) switch
    {
        0 => Case("Consumer", ["--processor", Processor()]),
        1 => Case("Consumer", ["--prefetch", Number()]),
        2 => Case("Consumer", ["--concurrency", Number()]),
        3 => Case("Consumer", ["--pipeline", PipelineName()]),
        _ => Case("Consumer", ["--rabbitmq", Uri()]),
    };

    private CliCase WithVariable()
    {
        var scope = "pwc"[random.Next(3)];
        var candidates = s_variables.Where(v => v.Scope.Contains(scope, StringComparison.Ordinal)).ToArray();
        var environment = new Dictionary<string, string?>();
        for (var i = random.Next(1, 3); i > 0; i--)
        {
            var variable = candidates[random.Next(candidates.Length)];
            environment[variable.Name] = variable.Kind switch
            {
                'u' => Uri(),
                'f' => Path(),
                'd' => random.Next(2) == 0 ? Path() : sandbox.NewFolder() + "/" + Garbage(),
                's' => Processor(),
                'i' => PipelineName(),
                'g' => Garbage(),
                'l' => Pick(s_logLevels),
                _ => Number(),
            };
        }
        List<string> arguments = scope switch
        {
            'p' => ["publish", sandbox.Input, "--wait"],
            // Watch__Data is read only when --data is not given.
            'w' => environment.ContainsKey("Watch__Data") ? ["watch"] : ["watch", "--data", sandbox.NewFolder()],
            _ => [],
        };
        return Case(scope == 'c' ? "Consumer" : "Producer", arguments, environment);
    }

    private CliCase RandomTokens()
    {
        var arguments = Enumerable.Range(0, random.Next(0, 5))
            .Select(_ => random.Next(4) switch { 0 => Pick(s_numbers), 1 => Garbage(), _ => Pick(s_tokens) }).ToList();
        // Never a relative --data or --out: a valid one would create folders wherever the run happens to be.
        for (var i = 0; i < arguments.Count - 1; i++)
        {
            if (arguments[i] is "--data" or "--out")
            {
                arguments[i + 1] = sandbox.NewFolder();
            }
        }
        return Case(random.Next(2) == 0 ? "Producer" : "Consumer", arguments);
    }

    private CliCase Case(string executable, List<string> arguments, Dictionary<string, string?>? environment = null)
    {
        environment ??= [];
        environment.TryAdd(UriVariable, sandbox.DeadBroker);
        environment.TryAdd("RabbitMq__ConnectTimeoutSeconds", "1");
        if (executable == "Producer" && !arguments.Contains("publish") && !arguments.Contains("--data") && !environment.ContainsKey("Watch__Data"))
        {
            environment["Watch__Data"] = sandbox.NewFolder();     // a bare "watch" would use ./data
        }
        // An environment variable cannot hold a NUL.
        var variables = environment.ToDictionary(e => e.Key, e => e.Value?.Replace("\0", "", StringComparison.Ordinal));
        return new CliCase(executable, arguments, variables);
    }

    private string Number() => random.Next(5) switch
    {
        0 or 1 => Pick(s_numbers),
        2 => random.NextInt64(-1_000_000, 10_000_000_000).ToString(CultureInfo.InvariantCulture),
        3 => Insert(random.Next(1, 100_000).ToString(CultureInfo.InvariantCulture), RandomChar()),
        _ => Garbage(),
    };

    /// <summary>A pipeline name: valid ones (up to the 64 characters allowed), one too long, or one with a character
    /// the rule refuses.</summary>
    private string PipelineName() => random.Next(5) switch
    {
        0 => Pick(["images.resize", "a", "A-b_c.9", new string('p', 64)]),
        1 => new string('p', 65),
        2 => Insert("fleet", RandomChar()),
        3 => Insert("fleet", Pick([" ", "/", "*", "\u00e9", "#", ":", "\t", "\n", "\0"])),
        _ => Garbage(),
    };

    private string Processor()
    {
        var name = Pick(s_processorNames);
        return random.Next(4) switch
        {
            0 => name,
            1 => $"{name}:{Number()}",
            2 => $"{name}:{Number()}:{Number()}",
            _ => $"{name}{Garbage()}",
        };
    }

    private string Uri()
    {
        var dead = sandbox.DeadBroker;
        return random.Next(5) switch
        {
            0 => Pick(s_badUris),
            1 or 2 => Mutate(dead),
            3 => string.Join(",", Enumerable.Range(0, random.Next(2, 4)).Select(i => i == 0 || random.Next(2) == 0 ? Mutate(dead) : dead)),
            _ => Garbage(),
        };
    }

    private string Mutate(string uri) => random.Next(7) switch
    {
        0 => Insert(uri, Pick(["/", "%", ":", "@", ",", "?", "#", "[", "]", " ", "\u00e9", "\0", "+"])),
        1 => uri.Remove(random.Next(uri.Length), 1),
        2 => uri.Replace("guest:guest", Pick(["guest:gu:est", "gu@est:guest", ":", "guest:", "", "%zz:guest"]), StringComparison.Ordinal),
        3 => uri[..uri.LastIndexOf(':')] + ":" + Pick(["0", "65536", "-1", "x", "", "99999", "1"]) + "/",
        4 => Pick(["http", "AMQP", "amqps", "", "amqp:", "amqp:/", "a m q p"]) + uri[uri.IndexOf(':', StringComparison.Ordinal)..],
        5 => uri + Pick(["a/b", "%zz", "%2F", "v/", "?x=1", "#", "a%", "%", "/"]),
        _ => Insert(uri, RandomChar()),
    };

    private string Path() => random.Next(14) switch
    {
        0 => "",
        1 => " ",
        2 => sandbox.Input,
        3 => sandbox.Folder,
        4 => sandbox.NewFolder() + "/missing/deeper/file.txt",
        5 => sandbox.Root + "/has\0nul",
        6 => sandbox.Root + "/" + new string('a', 300),
        7 => "/proc/self/environ",
        8 => "/dev/null",
        9 => "/proc",
        10 => sandbox.Fifo,
        11 => sandbox.Input + "/under-a-file",
        12 => sandbox.Root + "/line\nbreak",
        _ => sandbox.NewFolder() + "/" + Garbage(),
    };

    private string Garbage()
    {
        var builder = new StringBuilder();
        for (var i = random.Next(0, 12); i > 0; i--)
        {
            builder.Append(RandomChar());
        }
        return builder.ToString();
    }

    private string RandomChar() => random.Next(4) switch
    {
        0 => ((char)random.Next(0x20, 0x7f)).ToString(),
        1 => "0123456789"[random.Next(10)].ToString(),
        2 => char.ConvertFromUtf32(random.Next(0xa0, 0x2fff)),
        _ => Pick(["\t", "\n", "\u00a0", "\u200b", "\ufeff", "\ud83d\ude00", "%", ":", "/", "\\", "'", "\"", ","]),
    };

    private string Insert(string text, string value) => text.Insert(random.Next(text.Length + 1), value);

    private string Pick(string[] values) => values[random.Next(values.Length)];
}
