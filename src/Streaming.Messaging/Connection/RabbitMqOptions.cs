using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Streaming.Messaging.Hosting;

namespace Streaming.Messaging.Connection;

/// <summary>How to reach the broker. Section <c>RabbitMq</c>; environment <c>RabbitMq__Uri</c> etc.</summary>
internal sealed class RabbitMqOptions
{
    public const string SectionName = "RabbitMq";

    /// <summary>Reads and checks this section without reflection (<see cref="OptionsSection{T}"/>).</summary>
    public static readonly OptionsSection<RabbitMqOptions> Section =
        new(SectionName, static (configuration, options) => configuration.Bind(options), new RabbitMqOptionsValidator());

    public const string DefaultUri = "amqp://guest:guest@localhost:5672/";

    /// <summary>What <c>--rabbitmq</c> takes, for every command's help.</summary>
    public const string UriHelp =
        $"broker URI, or a comma-separated list of the nodes of one cluster (default {DefaultUri}); a URI with a user and no password (amqp://user@host/vhost) takes the password of RabbitMq__PasswordFile or RabbitMq__Password, so that no command line shows it";

    /// <summary>amqp:// or amqps:// URI, credentials and vhost included, or a comma-separated list of the nodes of one
    /// cluster (<see cref="BrokerAddress"/>).</summary>
    [Required]
    public string Uri { get; set; } = DefaultUri;

    /// <summary>The password of a <see cref="Uri"/> that names a user and no password (<c>amqp://user@host/</c>), so
    /// that no command line shows it.</summary>
    public string? Password { get; set; }

    /// <summary>A file whose one line is that password instead; readable by its owner only.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>How long a one-shot command keeps retrying an unreachable broker before it exits with code 3.</summary>
    [Range(1, 3600)]
    public int ConnectTimeoutSeconds { get; set; } = 30;

    /// <summary>AMQP heartbeat; a dead peer is noticed after about two of these.</summary>
    [Range(1, 600)]
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>The longest a single publish may wait for its confirm before it is treated as unknown and retried.</summary>
    [Range(1, 3600)]
    public int PublishTimeoutSeconds { get; set; } = 60;

    /// <summary>For amqps:// only: a PEM file of the certificate authority that signed the broker's certificate, trusted
    /// in addition to the system's (a private CA). The broker's certificate is still validated, name included.</summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>Parses <see cref="Uri"/> with the password of <see cref="Password"/> or <see cref="PasswordFile"/>,
    /// and loads <see cref="CaCertificateFile"/>; null with a one-line reason when any is wrong.</summary>
    public BrokerAddress? TryParseAddress(out string? error)
    {
        if (!BrokerPassword.TryRead(Password, PasswordFile, out var password, out error)
            || BrokerAddressParser.TryParse(Uri, password, out error) is not { } address)
        {
            return null;
        }
        if (!string.IsNullOrEmpty(CaCertificateFile) && PrivateCertificateAuthority.TryLoad(CaCertificateFile, out error) is null)
        {
            return null;
        }
        return address;
    }
}

/// <summary>The attributes of <see cref="RabbitMqOptions"/>, checked by generated code.</summary>
[OptionsValidator]
internal sealed partial class RabbitMqOptionsValidator : IValidateOptions<RabbitMqOptions>;
