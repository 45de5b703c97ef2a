using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Streaming.Messaging.Hosting;

namespace Streaming.UnitTests.Messaging.Hosting;

public sealed class ServiceHostValidationTests
{
    [Theory]
    [InlineData("Logging:LogLevel:Default", "Debug2")]
    [InlineData("Logging:LogLevel:Streaming.Consumer", "loud")]
    [InlineData("Logging:Console:LogLevel:Default", "Verbose")]
    public void TryValidateBroker_NotALogLevel_IsOneLineNamingTheKey(string key, string value)
    {
        var builder = ServiceHost.CreateBuilder(new Dictionary<string, string?> { [key] = value });

        Assert.False(ServiceHost.TryValidateBroker(builder, out var error));
        Assert.StartsWith($"{key}: '{value}' is not a log level", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Logging:LogLevel:Default", "warning")]
    [InlineData("Logging:LogLevel:Default", "None")]
    [InlineData("Logging:LogLevel:Default", "")]
    public void TryValidateBroker_LogLevels_AreAccepted(string key, string value)
    {
        var builder = ServiceHost.CreateBuilder(new Dictionary<string, string?> { [key] = value });

        Assert.True(ServiceHost.TryValidateBroker(builder, out var error), error);
    }

    [Fact]
    public void CreateBuilder_AppSettings_AreNotWatchedForChanges()
    {
        var builder = ServiceHost.CreateBuilder(new Dictionary<string, string?>());

        var files = ((IConfigurationBuilder)builder.Configuration).Sources.OfType<JsonConfigurationSource>().ToList();
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.False(f.ReloadOnChange, f.Path));
    }
}
