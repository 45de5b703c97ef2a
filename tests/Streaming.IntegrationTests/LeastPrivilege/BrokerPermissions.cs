using System.Text.RegularExpressions;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.LeastPrivilege;

/// <summary>
/// The permissions the deployments give each user, read from the file they all use
/// (<c>deploy/kubernetes/broker/permissions.env</c>), so the tests prove what is deployed.
/// </summary>
internal sealed partial class BrokerPermissions
{
    private readonly Dictionary<string, string> _values;

    private BrokerPermissions(Dictionary<string, string> values) => _values = values;

    public static BrokerPermissions Load()
    {
        var root = ServiceBinaries.FindRepositoryRoot() ?? throw new InvalidOperationException("no repository above the test assembly");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(root, "deploy", "kubernetes", "broker", "permissions.env")))
        {
            if (Assignment().Match(line) is { Success: true } match)
            {
                values[match.Groups["name"].Value] = match.Groups["value"].Value;
            }
        }
        return new BrokerPermissions(values);
    }

    /// <summary>configure, write and read of a role (PRODUCER, CONSUMER, MONITOR).</summary>
    public (string Configure, string Write, string Read) Of(string role) =>
        (_values[role + "_CONFIGURE"], _values[role + "_WRITE"], _values[role + "_READ"]);

    /// <summary>configure, write and read of a fleet's own consumer user for <paramref name="pipeline"/>, as
    /// setup-users.sh makes it with CONSUMER_PIPELINE (the name's dots escaped in CONSUMER_PIPELINE_READ).</summary>
    public (string Configure, string Write, string Read) OfPipelineConsumer(string pipeline) =>
        (_values["CONSUMER_CONFIGURE"], _values["CONSUMER_WRITE"],
            _values["CONSUMER_PIPELINE_READ"].Replace("PIPELINE", pipeline.Replace(".", "\\.", StringComparison.Ordinal), StringComparison.Ordinal));

    [GeneratedRegex("^(?<name>[A-Z_]+)='(?<value>[^']*)'$")]
    private static partial Regex Assignment();
}
