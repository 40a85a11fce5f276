using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Wire;

namespace FedPrompt.Federation.Simulation;

/// <summary>A site's connection to a server in the same process: the server's own methods, with
/// payloads still announced, chunked and checked as on the wire.</summary>
public sealed class InProcessFederationClient(FederationServer server, string site) : IFederationClient
{
    public Task<SiteWelcome> HelloAsync(SiteHello hello, CancellationToken cancel) =>
        Task.FromResult(Session(() => server.Hello(site, hello)));

    public Task<HeartbeatAnswer> HeartbeatAsync(SiteHeartbeat heartbeat, CancellationToken cancel) =>
        Task.FromResult(server.Heartbeat(site, heartbeat));

    public Task<TaskAssignment> NextTaskAsync(string session, CancellationToken cancel) =>
        Task.FromResult(Session(() => server.NextTask(site, session)));

    public Task<ResultVerdict> SubmitResultAsync(SiteResult result, byte[]? payload, CancellationToken cancel)
    {
        using var upload = Session(() => server.BeginResult(site, result));
        if (payload is not null)
            foreach (var chunk in Payloads.Chunks(payload, server.Options.ChunkBytes)) upload.Append(chunk.Span);
        return Task.FromResult(upload.Complete());
    }

    static T Session<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (ProtocolException e)
        {
            throw e.SayHelloAgain ? new SessionLostException(e.Message) : new FederationRefusedException(e.Message);
        }
    }
}
