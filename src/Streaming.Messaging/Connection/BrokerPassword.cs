using System.Text;

namespace Streaming.Messaging.Connection;

/// <summary>
/// The broker password kept off the command line: <c>RabbitMq:Password</c> (an environment variable), or the one line
/// of <c>RabbitMq:PasswordFile</c>, a file only its owner may read (as ssh treats a private key).
/// </summary>
internal static class BrokerPassword
{
    private const long MaxFileBytes = 4096;

    private const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The configured password (null when none is); false with a one-line reason when it cannot be had.</summary>
    public static bool TryRead(string? password, string? passwordFile, out string? value, out string? error)
    {
        value = null;
        error = null;
        var hasPassword = !string.IsNullOrEmpty(password);
        var hasFile = !string.IsNullOrEmpty(passwordFile);
        if (hasPassword && hasFile)
        {
            error = "RabbitMq:Password and RabbitMq:PasswordFile are both set: set one";
            return false;
        }
        if (hasPassword)
        {
            value = password;
            return true;
        }
        if (!hasFile)
        {
            return true;
        }
        value = TryReadFile(passwordFile!, out error);
        return value is not null;
    }

    private static string? TryReadFile(string path, out string? error)
    {
        var name = $"RabbitMq:PasswordFile '{path}'";
        string text;
        try
        {
            if (Directory.Exists(path))
            {
                error = $"{name} is a folder, not a file";
                return null;
            }
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                error = $"{name} does not exist";
                return null;
            }
            if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) is var mode && (mode & ReadableByOthers) != 0)
            {
                error = $"{name} can be read by others than its owner (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}): chmod 600 it";
                return null;
            }
            // A FIFO or a device has no length, and opening a FIFO would block until a writer came.
            if (file.Length is 0 or > MaxFileBytes)
            {
                error = $"{name} is not a password file: {file.Length} bytes";
                return null;
            }
            text = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or DecoderFallbackException)
        {
            error = ex is DecoderFallbackException ? $"{name} is not UTF-8 text" : $"{name} cannot be read: {ex.Message}";
            return null;
        }
        var line = text.EndsWith('\n') ? text[..^1] : text;
        line = line.EndsWith('\r') ? line[..^1] : line;
        if (line.Length == 0)
        {
            error = $"{name} holds an empty password";
            return null;
        }
        if (line.AsSpan().IndexOfAny('\n', '\r') >= 0)
        {
            error = $"{name} holds more than one line: the password is its one line";
            return null;
        }
        error = null;
        return line;
    }
}
