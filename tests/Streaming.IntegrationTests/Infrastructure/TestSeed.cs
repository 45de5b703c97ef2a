using System.Globalization;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>Seeds for randomized fault tests: <c>STREAMING_TEST_SEED</c> when set (to replay a run), else a new one.</summary>
internal static class TestSeed
{
    public const string Variable = "STREAMING_TEST_SEED";

    public static int Next() =>
        int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : Random.Shared.Next(1, 1_000_000);
}
