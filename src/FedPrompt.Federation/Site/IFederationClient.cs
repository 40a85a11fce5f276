using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;

namespace FedPrompt.Federation.Site;

/// <summary>How a site reaches the server: over gRPC with mutual TLS, or in process (the simulator).
/// Both end in the same server methods.</summary>
public interface IFederationClient
{
    Task<SiteWelcome> HelloAsync(SiteHello hello, CancellationToken cancel);
    Task<HeartbeatAnswer> HeartbeatAsync(SiteHeartbeat heartbeat, CancellationToken cancel);
    Task<TaskAssignment> NextTaskAsync(string session, CancellationToken cancel);
    Task<ResultVerdict> SubmitResultAsync(SiteResult result, byte[]? payload, CancellationToken cancel);
}

/// <summary>The server does not know this site's session (it restarted, or declared the site gone): say Hello again.</summary>
public sealed class SessionLostException(string message) : Exception(message);

/// <summary>The server refuses this site for good (wrong protocol version, not a site certificate): retrying will not help.</summary>
public sealed class FederationRefusedException(string message) : Exception(message);
