using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Wire;

namespace FedPrompt.Federation.Simulation;

/// <summary>A site's connection to a server in the same process: the server's own methods, with
/// payloads still announced, chunked and checked as on the wire.</summary>
public sealed class InProcessFederationClient(FederationServer server, string site) : IFederationClient
{
    public Task<HelloReply> HelloAsync(HelloRequest request, CancellationToken cancel) =>
        Task.FromResult(Session(() => server.Hello(site, request)));

    public Task<HeartbeatReply> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancel) =>
        Task.FromResult(server.Heartbeat(site, request));

    public Task<(TaskHeader Header, byte[]? Payload)> NextTaskAsync(TaskRequest request, CancellationToken cancel)
    {
        var assignment = Session(() => server.NextTask(site, request));
        return Task.FromResult((assignment.Header, assignment.Payload));
    }

    public Task<ResultReply> SubmitResultAsync(ResultHeader header, byte[]? payload, CancellationToken cancel)
    {
        using var upload = Session(() => server.BeginResult(site, header));
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
