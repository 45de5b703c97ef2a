using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Streaming.Messaging.Hosting;

/// <summary>
/// How one options class is read from configuration and checked, without reflection: <paramref name="Bind"/> is a
/// lambda written where the type is known, so the configuration-binding source generator compiles it, and
/// <paramref name="Validator"/> is an <c>[OptionsValidator]</c>-generated check of the class's attributes. That keeps
/// the services free of trimming hazards, so they can be published as Native AOT executables (bench/NOTEBOOK.md).
/// </summary>
internal sealed record OptionsSection<T>(string Name, Action<IConfiguration, T> Bind, IValidateOptions<T> Validator)
    where T : class;
