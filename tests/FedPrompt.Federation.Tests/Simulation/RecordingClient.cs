using System.Collections.Concurrent;
using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Site;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>Passes everything through and remembers the global models sites received and the results they sent.</summary>
public sealed class RecordingClient(string site, IFederationClient inner, ConcurrentBag<(string Site, TaskHeader Task, byte[]? Payload)> received,
    ConcurrentBag<(string Site, ResultHeader Result, byte[]? Payload, ResultReply Reply)> sent) : IFederationClient
{
    public Task<HelloReply> HelloAsync(HelloRequest request, CancellationToken cancel) => inner.HelloAsync(request, cancel);

    public Task<HeartbeatReply> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancel) => inner.HeartbeatAsync(request, cancel);

    public async Task<(TaskHeader Header, byte[]? Payload)> NextTaskAsync(TaskRequest request, CancellationToken cancel)
    {
        var task = await inner.NextTaskAsync(request, cancel);
        if (task.Header.Kind != TaskKind.Wait) received.Add((site, task.Header, task.Payload));
        return task;
    }

    public async Task<ResultReply> SubmitResultAsync(ResultHeader header, byte[]? payload, CancellationToken cancel)
    {
        var reply = await inner.SubmitResultAsync(header, payload, cancel);
        sent.Add((site, header, payload, reply));
        return reply;
    }
}
