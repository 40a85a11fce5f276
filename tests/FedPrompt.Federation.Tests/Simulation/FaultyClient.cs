using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>A site connection that misbehaves on purpose: it can rewrite a result before sending it,
/// send a result twice, or go silent for good at a chosen task.</summary>
public sealed class FaultyClient(IFederationClient inner) : IFederationClient
{
    /// <summary>Given a train result, returns what to send instead (header, payload), or null to send it unchanged.</summary>
    public Func<SiteResult, byte[]?, (SiteResult, byte[]?)?>? Rewrite { get; init; }
    public Func<SiteResult, bool>? SendTwice { get; init; }
    /// <summary>At the first task this matches, the site stops: no more results, heartbeats or requests.</summary>
    public Func<SiteTask, bool>? DieAt { get; init; }

    volatile bool _dead;

    public Task<SiteWelcome> HelloAsync(SiteHello request, CancellationToken cancel) => Alive(() => inner.HelloAsync(request, cancel), cancel);

    public Task<HeartbeatAnswer> HeartbeatAsync(SiteHeartbeat request, CancellationToken cancel) => Alive(() => inner.HeartbeatAsync(request, cancel), cancel);

    public async Task<TaskAssignment> NextTaskAsync(string request, CancellationToken cancel)
    {
        var task = await Alive(() => inner.NextTaskAsync(request, cancel), cancel);
        if (DieAt?.Invoke(task.Task) == true)
        {
            _dead = true;
            await Task.Delay(Timeout.Infinite, cancel);
        }
        return task;
    }

    public async Task<ResultVerdict> SubmitResultAsync(SiteResult header, byte[]? payload, CancellationToken cancel)
    {
        if (header.Kind == SiteTaskKind.Train && Rewrite?.Invoke(header, payload) is { } rewritten) (header, payload) = rewritten;
        var reply = await Alive(() => inner.SubmitResultAsync(header, payload, cancel), cancel);
        if (header.Kind == SiteTaskKind.Train && SendTwice?.Invoke(header) == true) await inner.SubmitResultAsync(header, payload, cancel);
        return reply;
    }

    async Task<T> Alive<T>(Func<Task<T>> call, CancellationToken cancel)
    {
        if (_dead) await Task.Delay(Timeout.Infinite, cancel);
        return await call();
    }
}
