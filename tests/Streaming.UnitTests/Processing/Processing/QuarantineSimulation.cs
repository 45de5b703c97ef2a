using Streaming.Consumer.Processing;
using Streaming.Messaging.Topology;

namespace Streaming.UnitTests.Processing.Processing;

/// <summary>
/// A broker and a fleet of consumers in one loop, deciding with <see cref="QuarantineRules"/> only: messages cover
/// parts of one batch; processing a part that holds a poison line crashes its consumer (the broker delivers the
/// message again, redelivered, or past its delivery limit dead-letters it); a consumer may also be killed before it
/// handles a delivery, or be stopping (it hands the delivery back).
/// </summary>
internal sealed class QuarantineSimulation(int lines, IReadOnlySet<int> poison, int killPercent, int stoppingPercent, int seed)
{
    public const int MaxSteps = 100_000;

    private readonly Random _random = new(seed);
    private readonly List<Message> _queued = [];

    /// <summary>Per line: results published with its output.</summary>
    public int[] Processed { get; } = new int[lines];

    /// <summary>Per line: failed results published for it (as part of a poison part).</summary>
    public int[] Failed { get; } = new int[lines];

    /// <summary>Per line: the crashes it caused while processed alone as a single line.</summary>
    public int[] CrashesAlone { get; } = new int[lines];

    /// <summary>The lines of each part failed as poison.</summary>
    public List<int> FailedPartSizes { get; } = [];

    public int Steps { get; private set; }

    public string Describe() =>
        $"lines {lines}, poison [{string.Join(",", poison.Order())}], kill {killPercent} %, stopping {stoppingPercent} %, seed {seed}";

    /// <summary>Runs until no message is left (true), or gives up after <see cref="MaxSteps"/> (false).</summary>
    public bool Run(bool firstDeliveryCrashed)
    {
        _queued.Add(new Message(DeliverySource.Work, 0, lines, 0, firstDeliveryCrashed, firstDeliveryCrashed ? 1 : 0));
        while (_queued.Count > 0)
        {
            if (++Steps > MaxSteps)
            {
                return false;
            }
            var index = _random.Next(_queued.Count);
            var message = _queued[index];
            _queued.RemoveAt(index);
            if (_random.Next(100) < killPercent)
            {
                Crashed(message);     // killed before it did anything
                continue;
            }
            Handle(message);
        }
        return true;
    }

    private void Handle(Message message)
    {
        var returns = QuarantineRules.Returns(message.ReturnsHeader == 0 ? null : message.ReturnsHeader, message.Redelivered);
        var stopping = _random.Next(100) < stoppingPercent;
        var decision = QuarantineRules.Decide(message.Source, message.Count, message.Redelivered, returns, stopping);
        switch (decision.Action)
        {
            case DeliveryAction.Quarantine:
                Assert.Equal(DeliverySource.Work, message.Source);
                Publish(message with { Source = DeliverySource.Quarantine, ReturnsHeader = 0 });
                break;
            case DeliveryAction.Split:
                var (first, second) = QuarantineRules.SplitSizes(message.Count);
                Assert.True(first >= 1 && second >= 1 && first + second == message.Count, $"split {message.Count} into {first} + {second}");
                Publish(new Message(DeliverySource.Quarantine, message.First, first, 0, false, 0));
                Publish(new Message(DeliverySource.Quarantine, message.First + first, second, 0, false, 0));
                break;
            case DeliveryAction.FailAsPoison:
                FailedPartSizes.Add(message.Count);
                ForEachLine(message, line => Failed[line]++);
                break;
            case DeliveryAction.Requeue:
                Publish(message with { Source = DeliverySource.Quarantine, ReturnsHeader = decision.Returns });
                break;
            case DeliveryAction.HandBack:
                var (target, handedBackReturns) = QuarantineRules.HandBackTarget(message.Source, message.Redelivered, returns);
                Publish(message with { Source = target, ReturnsHeader = handedBackReturns });
                break;
            case DeliveryAction.Process or DeliveryAction.ProcessAlone:
                Assert.Equal(decision.Action == DeliveryAction.ProcessAlone, message.Source == DeliverySource.Quarantine);
                if (Enumerable.Range(message.First, message.Count).Any(poison.Contains))
                {
                    if (message.Count == 1 && decision.Action == DeliveryAction.ProcessAlone)
                    {
                        CrashesAlone[message.First]++;
                    }
                    Crashed(message);
                    break;
                }
                ForEachLine(message, line => Processed[line]++);
                break;
            default:
                Assert.Fail($"unknown action {decision.Action}");
                break;
        }
    }

    /// <summary>The consumer died holding the message: the broker delivers it again, or dead-letters it past its
    /// delivery limit (keeping its headers).</summary>
    private void Crashed(Message message)
    {
        var deliveries = message.Deliveries + 1;
        _queued.Add(deliveries > StreamingTopology.DeliveryLimit && message.Source != DeliverySource.DeliveryLimit
            ? message with { Source = DeliverySource.DeliveryLimit, Redelivered = false, Deliveries = 0 }
            : message with { Redelivered = true, Deliveries = deliveries });
    }

    /// <summary>A fresh message: the broker has delivered it to no one yet.</summary>
    private void Publish(Message message) => _queued.Add(message with { Redelivered = false, Deliveries = 0 });

    private static void ForEachLine(Message message, Action<int> action)
    {
        for (var line = message.First; line < message.First + message.Count; line++)
        {
            action(line);
        }
    }

    private sealed record Message(DeliverySource Source, int First, int Count, long ReturnsHeader, bool Redelivered, int Deliveries);
}
