using CsCheck;
using Streaming.Consumer.Processing;

namespace Streaming.UnitTests.Processing.Processing;

public sealed class QuarantineRulesPropertyTests
{
    private static readonly Gen<(int Lines, HashSet<int> Poison, bool FirstCrashed, int Stopping, int Seed)> s_batches =
        from lines in Gen.Int[1, 64]
        from poison in Gen.Int[0, lines - 1].HashSet[0, Math.Min(lines, 4)]
        from firstCrashed in Gen.Bool
        from stopping in Gen.Int[0, 30]
        from seed in Gen.Int
        select (lines, poison, firstCrashed, stopping, seed);

    /// <summary>
    /// For any batch, any poison lines in it, any order the broker delivers in and consumers that stop and hand work
    /// back: every poison line is failed alone, after crashing exactly <see cref="QuarantineRules.PoisonLineDeliveries"/>
    /// consumers on its own, and every other line is processed exactly once.
    /// </summary>
    [Fact]
    public void Decide_AnyBatchWithPoisonLines_FailsEachPoisonLineAloneAndProcessesEveryOtherOnce()
    {
        s_batches.Sample(batch =>
        {
            var simulation = new QuarantineSimulation(batch.Lines, batch.Poison, killPercent: 0, batch.Stopping, batch.Seed);

            Assert.True(simulation.Run(batch.FirstCrashed), "no end: " + simulation.Describe());

            Assert.All(simulation.FailedPartSizes, size => Assert.True(size == 1, $"a part of {size} lines failed whole: {simulation.Describe()}"));
            for (var line = 0; line < batch.Lines; line++)
            {
                var isPoison = batch.Poison.Contains(line);
                Assert.True(simulation.Failed[line] == (isPoison ? 1 : 0), $"line {line} failed {simulation.Failed[line]} times: {simulation.Describe()}");
                Assert.True(simulation.Processed[line] == (isPoison ? 0 : 1), $"line {line} processed {simulation.Processed[line]} times: {simulation.Describe()}");
                Assert.True(simulation.CrashesAlone[line] == (isPoison ? QuarantineRules.PoisonLineDeliveries : 0),
                    $"line {line} crashed {simulation.CrashesAlone[line]} consumers alone: {simulation.Describe()}");
            }
        }, iter: 500);
    }

    /// <summary>
    /// The same with consumers also killed at random before they handle a delivery (up to half of them), so that
    /// batches reach the broker's delivery limit: every line still ends exactly once, processed or failed, and every
    /// poison line is failed.
    /// </summary>
    [Fact]
    public void Decide_AnyBatchAndConsumersKilledAtRandom_EndsEveryLineExactlyOnce()
    {
        Gen.Select(s_batches, Gen.Int[1, 50]).Sample((batch, kill) =>
        {
            var simulation = new QuarantineSimulation(batch.Lines, batch.Poison, kill, batch.Stopping, batch.Seed);

            Assert.True(simulation.Run(batch.FirstCrashed), "no end: " + simulation.Describe());

            for (var line = 0; line < batch.Lines; line++)
            {
                Assert.True(simulation.Processed[line] + simulation.Failed[line] == 1,
                    $"line {line} processed {simulation.Processed[line]} and failed {simulation.Failed[line]} times: {simulation.Describe()}");
                Assert.True(!batch.Poison.Contains(line) || simulation.Failed[line] == 1, $"poison line {line} not failed: {simulation.Describe()}");
            }
        }, iter: 300);
    }
}
