using System.Text.RegularExpressions;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// The environment a worker gets: the consumer's, less whatever reaches the broker. User code (and every library it
/// loads) runs in the worker; with the consumer's broker URI it could purge queues or forge results.
/// </summary>
internal static partial class ExecEnvironment
{
    private static readonly string[] s_secretPrefixes = ["RabbitMq__", "RABBITMQ_", "STREAMING_RABBITMQ", "OTEL_EXPORTER_OTLP_HEADERS"];

    /// <summary>Removes the broker's settings, any variable holding a URI with a password, and the OTLP headers
    /// (which carry collectors' API keys).</summary>
    public static void Scrub(IDictionary<string, string?> environment)
    {
        foreach (var name in environment.Keys.ToList())
        {
            if (IsSecret(name, environment[name]))
            {
                environment.Remove(name);
            }
        }
    }

    public static bool IsSecret(string name, string? value) =>
        s_secretPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase))
        || (name.StartsWith("OTEL_EXPORTER_OTLP_", StringComparison.OrdinalIgnoreCase) && name.EndsWith("_HEADERS", StringComparison.OrdinalIgnoreCase))
        || (value is not null && UriWithPassword().IsMatch(value));

    [GeneratedRegex(@"[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]*@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UriWithPassword();
}
