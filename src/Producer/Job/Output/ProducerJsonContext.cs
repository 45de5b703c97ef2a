using System.Text.Json.Serialization;

namespace Streaming.Producer.Job.Output;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(JobSummary))]
[JsonSerializable(typeof(LineError))]
internal sealed partial class ProducerJsonContext : JsonSerializerContext;
