using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>Holds a site's results back for a while, so it reports after the others.</summary>
public sealed class DelayedClient(IFederationClient inner, TimeSpan delay) : IFederationClient
{
    public Task<SiteWelcome> HelloAsync(SiteHello request, CancellationToken cancel) => inner.HelloAsync(request, cancel);
    public Task<HeartbeatAnswer> HeartbeatAsync(SiteHeartbeat request, CancellationToken cancel) => inner.HeartbeatAsync(request, cancel);
    public Task<TaskAssignment> NextTaskAsync(string request, CancellationToken cancel) => inner.NextTaskAsync(request, cancel);

    public async Task<ResultVerdict> SubmitResultAsync(SiteResult header, byte[]? payload, CancellationToken cancel)
    {
        await Task.Delay(delay, cancel);
        return await inner.SubmitResultAsync(header, payload, cancel);
    }
}
