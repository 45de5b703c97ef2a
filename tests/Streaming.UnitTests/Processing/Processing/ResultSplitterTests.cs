using Streaming.Consumer.Processing;
using Streaming.Messaging.Contract;

namespace Streaming.UnitTests.Processing.Processing;

public sealed class ResultSplitterTests
{
    [Fact]
    public void Plan_ResultThatFits_IsOnePart()
    {
        int[] entries = [10, 20, 30];

        var plan = ResultSplitter.Plan(entries, MessageWriter.HeaderBytes + 60);

        Assert.Equal([new ResultSplitter.Part(0, 3, MessageWriter.HeaderBytes + 60, Oversized: false)], plan);
    }

    [Theory]
    [InlineData(1, 1_000)]
    [InlineData(2, 4_096)]
    [InlineData(3, 100_000)]
    public void Plan_ResultOverTheLimit_PartsFitAndCoverEveryEntryOnceInOrder(int seed, int limit)
    {
        var random = new Random(seed);
        var entries = Enumerable.Range(0, 5_000).Select(_ => 5 + random.Next(0, 200)).ToArray();

        var plan = ResultSplitter.Plan(entries, limit);

        Assert.True(plan.Count > 1);
        var next = 0;
        foreach (var part in plan)
        {
            Assert.Equal(next, part.Start);
            Assert.False(part.Oversized);
            Assert.Equal(MessageWriter.HeaderBytes + entries.AsSpan(part.Start, part.Count).ToArray().Sum(), part.Bytes);
            Assert.True(part.Bytes <= limit, $"part at {part.Start} has {part.Bytes} bytes");
            next += part.Count;
        }
        Assert.Equal(entries.Length, next);
    }

    [Fact]
    public void Plan_DifferentLimitsAndQuarantineHalves_EveryTwoPartsNestOrLieApart()
    {
        var random = new Random(7);
        var entries = Enumerable.Range(0, 1_001).Select(_ => 5 + random.Next(0, 300)).ToArray();
        var firstHalf = entries.Length / 2;     // how the quarantine splits a batch that comes back
        var parts = new List<(int Start, int Count)>();
        foreach (var limit in new[] { 2_000, 7_000, 30_000 })
        {
            parts.AddRange(ResultSplitter.Plan(entries, limit).Select(p => (p.Start, p.Count)));
            parts.AddRange(ResultSplitter.Plan(entries.AsSpan(firstHalf), limit).Select(p => (firstHalf + p.Start, p.Count)));
        }

        foreach (var a in parts)
        {
            foreach (var b in parts)
            {
                var apart = a.Start + a.Count <= b.Start || b.Start + b.Count <= a.Start;
                var nested = (a.Start >= b.Start && a.Start + a.Count <= b.Start + b.Count)
                    || (b.Start >= a.Start && b.Start + b.Count <= a.Start + a.Count);
                Assert.True(apart || nested, $"[{a.Start}, +{a.Count}) and [{b.Start}, +{b.Count}) overlap without nesting");
            }
        }
    }

    [Fact]
    public void Plan_OneEntryOverTheLimit_IsAPartOfItsOwnMarkedOversized()
    {
        int[] entries = [10, 10, 5_000, 10];

        var plan = ResultSplitter.Plan(entries, 1_000);

        Assert.Contains(new ResultSplitter.Part(2, 1, MessageWriter.HeaderBytes + 5_000, Oversized: true), plan);
        Assert.All(plan.Where(p => p.Start != 2), p => Assert.False(p.Oversized));
        Assert.Equal(entries.Length, plan.Sum(p => p.Count));
    }
}
