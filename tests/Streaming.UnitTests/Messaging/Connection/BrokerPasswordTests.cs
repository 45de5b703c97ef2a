using Streaming.Messaging.Connection;
using Streaming.Messaging.Hosting;

namespace Streaming.UnitTests.Messaging.Connection;

/// <summary>The password kept off the command line: <c>RabbitMq:Password</c> or <c>RabbitMq:PasswordFile</c>, filled
/// into the broker URIs that name a user and no password.</summary>
public sealed class BrokerPasswordTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _directory = Directory.CreateTempSubdirectory("streaming-password-").FullName;

    [Fact]
    public void TryParseAddress_PasswordFileAndUserWithoutPassword_FillsEveryNode()
    {
        var options = new RabbitMqOptions
        {
            Uri = "amqp://app@n1:5672/prod,amqp://app@n2:5672/prod",
            PasswordFile = WritePasswordFile("s3cret:@/%\n", OwnerOnly),
        };

        var address = options.TryParseAddress(out var error);

        Assert.True(address is not null, error);
        Assert.Equal("app", address.UserName);
        Assert.Equal("s3cret:@/%", address.Password);
        Assert.Equal(2, address.Nodes.Count);
        Assert.DoesNotContain("s3cret", address.Masked, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseAddress_PasswordFromConfiguration_FillsTheUri()
    {
        var options = new RabbitMqOptions { Uri = "amqp://app@localhost/", Password = "from-env" };

        var address = options.TryParseAddress(out var error);

        Assert.True(address is not null, error);
        Assert.Equal("from-env", address.Password);
    }

    [Fact]
    public void TryParseAddress_UriCarriesItsOwnPassword_KeepsIt()
    {
        var options = new RabbitMqOptions { Uri = "amqp://user:pass@host/vhost", Password = "other" };

        var address = options.TryParseAddress(out var error);

        Assert.True(address is not null, error);
        Assert.Equal("pass", address.Password);
    }

    [Fact]
    public void TryParseAddress_NoPasswordConfigured_UriWorksAsBefore()
    {
        var address = new RabbitMqOptions { Uri = "amqp://bob@localhost/" }.TryParseAddress(out var error);

        Assert.True(address is not null, error);
        Assert.Equal("guest", address.Password);
    }

    [Fact]
    public void TryParseAddress_CrlfEndedFile_TakesTheLine()
    {
        var options = new RabbitMqOptions { Uri = "amqp://app@localhost/", PasswordFile = WritePasswordFile("pw\r\n", OwnerOnly) };

        Assert.Equal("pw", options.TryParseAddress(out var error)?.Password);
        Assert.Null(error);
    }

    [Fact]
    public void TryParseAddress_PasswordFileBehindASymbolicLink_IsReadThroughIt()
    {
        // How a Kubernetes secret volume presents its files.
        var link = Path.Combine(_directory, "link");
        File.CreateSymbolicLink(link, WritePasswordFile("linked\n", OwnerOnly));
        var options = new RabbitMqOptions { Uri = "amqp://app@localhost/", PasswordFile = link };

        Assert.Equal("linked", options.TryParseAddress(out var error)?.Password);
        Assert.Null(error);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupRead, "can be read by others than its owner (mode 0440): chmod 600 it")]
    [InlineData(OwnerOnly | UnixFileMode.OtherRead, "can be read by others than its owner (mode 0604): chmod 600 it")]
    public void TryParseAddress_FileReadableByOthers_IsRefused(UnixFileMode mode, string expected)
    {
        var file = WritePasswordFile("pw\n", mode);
        var options = new RabbitMqOptions { Uri = "amqp://app@localhost/", PasswordFile = file };

        Assert.Null(options.TryParseAddress(out var error));
        Assert.Equal($"RabbitMq:PasswordFile '{file}' {expected}", error);
    }

    [Theory]
    [InlineData("", "is not a password file: 0 bytes")]
    [InlineData("\n", "holds an empty password")]
    [InlineData("one\ntwo\n", "holds more than one line: the password is its one line")]
    public void TryParseAddress_FileWithoutOneLine_IsRefused(string content, string expected)
    {
        var file = WritePasswordFile(content, OwnerOnly);
        var options = new RabbitMqOptions { Uri = "amqp://app@localhost/", PasswordFile = file };

        Assert.Null(options.TryParseAddress(out var error));
        Assert.Equal($"RabbitMq:PasswordFile '{file}' {expected}", error);
    }

    [Fact]
    public void TryParseAddress_MissingFileOrFolder_IsRefused()
    {
        var missing = Path.Combine(_directory, "missing");

        Assert.Null(new RabbitMqOptions { Uri = "amqp://app@h/", PasswordFile = missing }.TryParseAddress(out var error));
        Assert.Equal($"RabbitMq:PasswordFile '{missing}' does not exist", error);
        Assert.Null(new RabbitMqOptions { Uri = "amqp://app@h/", PasswordFile = _directory }.TryParseAddress(out error));
        Assert.Equal($"RabbitMq:PasswordFile '{_directory}' is a folder, not a file", error);
    }

    [Fact]
    public void TryParseAddress_BothPasswordAndFile_IsRefused()
    {
        var options = new RabbitMqOptions { Uri = "amqp://app@h/", Password = "a", PasswordFile = WritePasswordFile("b", OwnerOnly) };

        Assert.Null(options.TryParseAddress(out var error));
        Assert.Equal("RabbitMq:Password and RabbitMq:PasswordFile are both set: set one", error);
    }

    [Fact]
    public void TryParseAddress_PasswordButUriWithoutUser_IsRefusedRatherThanGuest()
    {
        var options = new RabbitMqOptions { Uri = "amqp://localhost/", Password = "pw" };

        Assert.Null(options.TryParseAddress(out var error));
        Assert.Contains("names no user for the password of RabbitMq:Password or RabbitMq:PasswordFile", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryValidateBroker_PasswordFileFromConfiguration_IsCheckedAtStart()
    {
        var file = WritePasswordFile("pw\n", OwnerOnly | UnixFileMode.GroupRead);
        var builder = ServiceHost.CreateBuilder(new Dictionary<string, string?>
        {
            ["RabbitMq:Uri"] = "amqp://app@localhost/",
            ["RabbitMq:PasswordFile"] = file,
        });

        Assert.False(ServiceHost.TryValidateBroker(builder, out var error));
        Assert.StartsWith($"RabbitMq:PasswordFile '{file}' can be read by others than its owner", error, StringComparison.Ordinal);
    }

    private string WritePasswordFile(string content, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("password files are checked on Unix");
        }
        var path = Path.Combine(_directory, $"password-{Guid.NewGuid():N}");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
