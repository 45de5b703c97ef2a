namespace Streaming.Messaging.Health;

/// <summary>
/// Whether this process's broker connection is open right now, as the connector last saw it: set when a connection
/// opens or recovers, cleared when it is lost. The health check reads it.
/// </summary>
internal sealed class BrokerConnectionState
{
    private int _open;

    public bool IsOpen => Volatile.Read(ref _open) == 1;

    public void Opened() => Volatile.Write(ref _open, 1);

    public void Lost() => Volatile.Write(ref _open, 0);
}
