using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Streaming.Messaging.Health;

/// <summary>Healthy while the broker connection is open; a service retrying or recovering it is unhealthy.</summary>
internal sealed class BrokerHealthCheck(BrokerConnectionState state) : IHealthCheck
{
    public const string Name = "broker";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsOpen
            ? HealthCheckResult.Healthy("connected to the broker")
            : HealthCheckResult.Unhealthy("not connected to the broker"));
}
