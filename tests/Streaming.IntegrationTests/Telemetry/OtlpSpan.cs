using System.Text.Json;

namespace Streaming.IntegrationTests.Telemetry;

/// <summary>One span as OTLP JSON carries it, with its resource's service name and instance.</summary>
internal sealed record OtlpSpan(
    string Service, string Instance, string Scope, string Name, int Kind, string TraceId, string SpanId, string ParentSpanId,
    IReadOnlyList<string> LinkedSpanIds, IReadOnlyDictionary<string, string> Attributes)
{
    public const int KindProducer = 4;
    public const int KindConsumer = 5;

    public static List<OtlpSpan> Parse(JsonDocument document)
    {
        using (document)
        {
            var spans = new List<OtlpSpan>();
            foreach (var resource in document.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
            {
                var attributes = ReadAttributes(resource.GetProperty("resource"));
                foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
                {
                    var scopeName = scope.GetProperty("scope").GetProperty("name").GetString()!;
                    foreach (var span in scope.GetProperty("spans").EnumerateArray())
                    {
                        spans.Add(new OtlpSpan(
                            attributes.GetValueOrDefault("service.name", ""), attributes.GetValueOrDefault("service.instance.id", ""),
                            scopeName, span.GetProperty("name").GetString()!, span.GetProperty("kind").GetInt32(),
                            span.GetProperty("traceId").GetString()!, span.GetProperty("spanId").GetString()!,
                            span.TryGetProperty("parentSpanId", out var parent) ? parent.GetString() ?? "" : "",
                            span.TryGetProperty("links", out var links)
                                ? links.EnumerateArray().Select(l => l.GetProperty("spanId").GetString()!).ToList()
                                : [],
                            ReadAttributes(span)));
                    }
                }
            }
            return spans;
        }
    }

    /// <summary>An OTLP element's <c>attributes</c>, every value as text.</summary>
    public static Dictionary<string, string> ReadAttributes(JsonElement element)
    {
        var result = new Dictionary<string, string>();
        if (element.TryGetProperty("attributes", out var attributes))
        {
            foreach (var attribute in attributes.EnumerateArray())
            {
                var value = attribute.GetProperty("value").EnumerateObject().First().Value;
                result[attribute.GetProperty("key").GetString()!] =
                    value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            }
        }
        return result;
    }
}
