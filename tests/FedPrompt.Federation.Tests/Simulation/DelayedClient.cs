using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Site;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>Holds a site's results back for a while, so it reports after the others.</summary>
public sealed class DelayedClient(IFederationClient inner, TimeSpan delay) : IFederationClient
{
    public Task<HelloReply> HelloAsync(HelloRequest request, CancellationToken cancel) => inner.HelloAsync(request, cancel);
    public Task<HeartbeatReply> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancel) => inner.HeartbeatAsync(request, cancel);
    public Task<(TaskHeader Header, byte[]? Payload)> NextTaskAsync(TaskRequest request, CancellationToken cancel) => inner.NextTaskAsync(request, cancel);

    public async Task<ResultReply> SubmitResultAsync(ResultHeader header, byte[]? payload, CancellationToken cancel)
    {
        await Task.Delay(delay, cancel);
        return await inner.SubmitResultAsync(header, payload, cancel);
    }
}
