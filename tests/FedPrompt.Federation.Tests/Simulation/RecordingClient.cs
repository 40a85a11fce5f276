using System.Collections.Concurrent;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>Passes everything through and remembers the global models sites received and the results they sent.</summary>
public sealed class RecordingClient(string site, IFederationClient inner, ConcurrentBag<(string Site, SiteTask Task, byte[]? Payload)> received,
    ConcurrentBag<(string Site, SiteResult Result, byte[]? Payload, ResultVerdict Reply)> sent) : IFederationClient
{
    public Task<SiteWelcome> HelloAsync(SiteHello request, CancellationToken cancel) => inner.HelloAsync(request, cancel);

    public Task<HeartbeatAnswer> HeartbeatAsync(SiteHeartbeat request, CancellationToken cancel) => inner.HeartbeatAsync(request, cancel);

    public async Task<TaskAssignment> NextTaskAsync(string request, CancellationToken cancel)
    {
        var task = await inner.NextTaskAsync(request, cancel);
        if (task.Task.Kind != SiteTaskKind.Wait) received.Add((site, task.Task, task.Payload));
        return task;
    }

    public async Task<ResultVerdict> SubmitResultAsync(SiteResult header, byte[]? payload, CancellationToken cancel)
    {
        var reply = await inner.SubmitResultAsync(header, payload, cancel);
        sent.Add((site, header, payload, reply));
        return reply;
    }
}
