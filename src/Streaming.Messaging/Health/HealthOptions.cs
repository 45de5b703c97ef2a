using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Streaming.Messaging.Hosting;

namespace Streaming.Messaging.Health;

/// <summary>
/// The health file a container's HEALTHCHECK looks at. Section <c>Health</c>; environment <c>Health__File</c> etc.
/// </summary>
internal sealed class HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>Reads and checks this section without reflection (<see cref="OptionsSection{T}"/>).</summary>
    public static readonly OptionsSection<HealthOptions> Section =
        new(SectionName, static (configuration, options) => configuration.Bind(options), new HealthOptionsValidator());

    /// <summary>Refreshed every <see cref="IntervalSeconds"/> while the service is connected to the broker, deleted
    /// while it is not. Empty (the default outside containers): no file.</summary>
    public string File { get; set; } = "";

    /// <summary>How often the health checks run and the file is refreshed.</summary>
    [Range(1, 300)]
    public int IntervalSeconds { get; set; } = 5;
}

/// <summary>The attributes of <see cref="HealthOptions"/>, checked by generated code.</summary>
[OptionsValidator]
internal sealed partial class HealthOptionsValidator : IValidateOptions<HealthOptions>;
