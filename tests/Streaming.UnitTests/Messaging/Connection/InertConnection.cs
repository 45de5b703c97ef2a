using System.Reflection;
using RabbitMQ.Client;

namespace Streaming.UnitTests.Messaging.Connection;

/// <summary>A broker connection that does nothing, for code that holds one but must not use it in a test: its events
/// take handlers, and every other member returns its type's default (a null task, so awaiting one fails).</summary>
public class InertConnection : DispatchProxy
{
    public static IConnection Create() => Create<IConnection, InertConnection>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        targetMethod?.ReturnType is { IsValueType: true } type && type != typeof(void) ? Activator.CreateInstance(type) : null;
}
