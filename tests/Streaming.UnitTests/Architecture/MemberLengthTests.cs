namespace Streaming.UnitTests.Architecture;

/// <summary>No method (or other member with a body) of the Producer is over 50 lines, counted between its braces in
/// the source (<see cref="SourceMembers"/>): past that it does several things, and is split by them.</summary>
public sealed class MemberLengthTests
{
    private const int MaxLines = 50;

    [Fact]
    public void ProducerMembers_AreAtMostFiftyLines()
    {
        var producer = Path.Combine(RepositoryRoot(), "src", "Producer");
        var sources = Directory.EnumerateFiles(producer, "*.cs", SearchOption.AllDirectories)
            .Where(path => !Path.GetRelativePath(producer, path).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .ToList();

        var tooLong = sources
            .SelectMany(path => SourceMembers.Of(File.ReadAllText(path))
                .Where(member => member.Lines > MaxLines)
                .Select(member => $"{Path.GetRelativePath(producer, path)}: {member.Head} ({member.Lines} lines)"))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.NotEmpty(sources);
        Assert.True(tooLong.Count == 0, $"members over {MaxLines} lines: " + string.Join("; ", tooLong));
    }

    [Fact]
    public void Of_BracesInLiteralsCommentsAndAttributes_CountsTheLinesOfEachMembersBody()
    {
        const string source = """"
            namespace N;

            /// <summary>{ not a brace }</summary>
            internal sealed class C
            {
                private static readonly Dictionary<string, int> s_map = new()
                {
                    ["a"] = 1,
                };

                /// <summary>Doc { </summary>
                [Attribute("{")]
                public string Interpolated(int x,
                    int y)
                {
                    var a = $"{x} {{ {(y > 0 ? "}" : "{")}";
                    var b = '{';
                    // }
                    /* { */
                    var c = @"""{";
                    var d = $$"""{{x}} { """;
                    return a + b + c + d;
                }

            #if DEBUG
                public int Property
                {
                    get { return 1; }
                }
            #endif

                private sealed record Inner(int X)
                {
                    public int Twice() => X switch
                    {
                        _ => X * 2,
                    };
                }
            }
            """";

        var members = SourceMembers.Of(source);

        Assert.Equal(
            [("public string Interpolated(int x, int y)", 7), ("public int Property", 1), ("public int Twice() => X switch", 1)],
            members);
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Streaming.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"no Streaming.sln above '{AppContext.BaseDirectory}'");
    }
}
