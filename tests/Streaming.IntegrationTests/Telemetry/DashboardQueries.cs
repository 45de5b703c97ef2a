using System.Text.Json;
using System.Text.RegularExpressions;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>The PromQL of every panel target of a provisioned Grafana dashboard in <c>otel/grafana/dashboards/</c>.</summary>
internal static partial class DashboardQueries
{
    /// <summary>Grafana's own interval variables and what they stand for with the tests' 1-second scrapes. Any other
    /// variable in a query fails the test: the dashboard would need a value this test does not know.</summary>
    private static readonly Dictionary<string, string> s_builtIns = new(StringComparer.Ordinal)
    {
        ["$__rate_interval"] = "10s",
        ["$__interval"] = "1s",
        ["$__range"] = "1m",
    };

    public static string DashboardPath(string file) =>
        Path.Combine(ServiceBinaries.FindRepositoryRoot() ?? throw new InvalidOperationException("no repository above the tests"),
            "otel", "grafana", "dashboards", file);

    /// <summary>(panel title, ref id, query) for every target, with Grafana's interval variables replaced.</summary>
    public static List<(string Panel, string RefId, string Query)> Read(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(DashboardPath(file)));
        var queries = new List<(string, string, string)>();
        Collect(document.RootElement.GetProperty("panels"), queries);
        return queries;
    }

    private static void Collect(JsonElement panels, List<(string, string, string)> queries)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.TryGetProperty("panels", out var nested))
            {
                Collect(nested, queries);
            }
            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }
            var title = panel.GetProperty("title").GetString()!;
            foreach (var target in targets.EnumerateArray())
            {
                var query = target.GetProperty("expr").GetString()!;
                foreach (var (variable, value) in s_builtIns)
                {
                    query = query.Replace(variable, value, StringComparison.Ordinal);
                }
                var unknown = Variable().Match(query);
                if (unknown.Success)
                {
                    throw new InvalidOperationException($"panel '{title}' uses {unknown.Value}, which the test cannot fill in: {query}");
                }
                queries.Add((title, target.GetProperty("refId").GetString()!, query));
            }
        }
    }

    [GeneratedRegex(@"\$\{?\w+")]
    private static partial Regex Variable();
}
