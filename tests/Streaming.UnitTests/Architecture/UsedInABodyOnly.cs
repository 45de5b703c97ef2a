namespace Streaming.UnitTests.Architecture.Probes;

/// <summary>Named only inside a method body of <see cref="ProducerLayeringTests"/>.</summary>
internal static class UsedInABodyOnly
{
    public static int Value() => 1;
}
