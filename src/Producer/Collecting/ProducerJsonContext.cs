using System.Text.Json.Serialization;

namespace Streaming.Producer.Collecting;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(JobCheckpoint))]
[JsonSerializable(typeof(JobSummary))]
[JsonSerializable(typeof(LineError))]
internal sealed partial class ProducerJsonContext : JsonSerializerContext;
