using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;

namespace FedPrompt.Federation.Tests.Server;

/// <summary>A site with a valid identity that lies: every result it sends passes through
/// <paramref name="lie"/>, which may change the header, the payload, or both.</summary>
public sealed class LyingClient(IFederationClient inner, Func<SiteResult, byte[]?, (SiteResult, byte[]?)> lie) : IFederationClient
{
    public Task<SiteWelcome> HelloAsync(SiteHello hello, CancellationToken cancel) => inner.HelloAsync(hello, cancel);
    public Task<HeartbeatAnswer> HeartbeatAsync(SiteHeartbeat heartbeat, CancellationToken cancel) => inner.HeartbeatAsync(heartbeat, cancel);
    public Task<TaskAssignment> NextTaskAsync(string session, CancellationToken cancel) => inner.NextTaskAsync(session, cancel);

    public Task<ResultVerdict> SubmitResultAsync(SiteResult result, byte[]? payload, CancellationToken cancel)
    {
        var (told, sent) = lie(result, payload);
        if (sent is not null && !ReferenceEquals(sent, payload)) told = told with { Payload = Wire.Payloads.Describe(sent) };
        return inner.SubmitResultAsync(told, sent, cancel);
    }
}
