using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Site;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>A site connection that misbehaves on purpose: it can rewrite a result before sending it,
/// send a result twice, or go silent for good at a chosen task.</summary>
public sealed class FaultyClient(IFederationClient inner) : IFederationClient
{
    /// <summary>Given a train result, returns what to send instead (header, payload), or null to send it unchanged.</summary>
    public Func<ResultHeader, byte[]?, (ResultHeader, byte[]?)?>? Rewrite { get; init; }
    public Func<ResultHeader, bool>? SendTwice { get; init; }
    /// <summary>At the first task this matches, the site stops: no more results, heartbeats or requests.</summary>
    public Func<TaskHeader, bool>? DieAt { get; init; }

    volatile bool _dead;

    public Task<HelloReply> HelloAsync(HelloRequest request, CancellationToken cancel) => Alive(() => inner.HelloAsync(request, cancel), cancel);

    public Task<HeartbeatReply> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancel) => Alive(() => inner.HeartbeatAsync(request, cancel), cancel);

    public async Task<(TaskHeader Header, byte[]? Payload)> NextTaskAsync(TaskRequest request, CancellationToken cancel)
    {
        var task = await Alive(() => inner.NextTaskAsync(request, cancel), cancel);
        if (DieAt?.Invoke(task.Header) == true)
        {
            _dead = true;
            await Task.Delay(Timeout.Infinite, cancel);
        }
        return task;
    }

    public async Task<ResultReply> SubmitResultAsync(ResultHeader header, byte[]? payload, CancellationToken cancel)
    {
        if (header.Kind == TaskKind.Train && Rewrite?.Invoke(header, payload) is { } rewritten) (header, payload) = rewritten;
        var reply = await Alive(() => inner.SubmitResultAsync(header, payload, cancel), cancel);
        if (header.Kind == TaskKind.Train && SendTwice?.Invoke(header) == true) await inner.SubmitResultAsync(header, payload, cancel);
        return reply;
    }

    async Task<T> Alive<T>(Func<Task<T>> call, CancellationToken cancel)
    {
        if (_dead) await Task.Delay(Timeout.Infinite, cancel);
        return await call();
    }
}
