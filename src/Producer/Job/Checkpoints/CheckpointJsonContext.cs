using System.Text.Json.Serialization;

namespace Streaming.Producer.Job.Checkpoints;

/// <summary>The checkpoint file's JSON (schema <see cref="JobCheckpoint.CurrentSchema"/>): the options of the summary's.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(JobCheckpoint))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext;
