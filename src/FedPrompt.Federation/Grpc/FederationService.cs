using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Wire;
using Google.Protobuf;
using global::Grpc.Core;

namespace FedPrompt.Federation.Grpc;

/// <summary>The site-facing gRPC service: identity from the client certificate, payloads in chunks, everything else in <see cref="FederationServer"/>.</summary>
public sealed class FederationService(FederationServer server, Func<ServerCallContext, PeerIdentity> identify) : Protocol.Federation.FederationBase
{
    string Site(ServerCallContext context)
    {
        var peer = identify(context);
        if (peer.Role != ParticipantRole.Site) throw new RpcException(new Status(StatusCode.PermissionDenied, $"{peer.Name} is not a site (role {peer.Role.ToText()})"));
        return peer.Name;
    }

    public override Task<HelloReply> Hello(HelloRequest request, ServerCallContext context) =>
        Task.FromResult(Call(() => server.Hello(Site(context), request)));

    public override Task<HeartbeatReply> Heartbeat(HeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(server.Heartbeat(Site(context), request));

    public override async Task NextTask(TaskRequest request, IServerStreamWriter<TaskMessage> responseStream, ServerCallContext context)
    {
        var assignment = Call(() => server.NextTask(Site(context), request));
        if (assignment.Payload is not { } payload)
        {
            await responseStream.WriteAsync(new TaskMessage { Header = assignment.Header });
            return;
        }
        await server.Transfers.WaitAsync(context.CancellationToken);
        try
        {
            await responseStream.WriteAsync(new TaskMessage { Header = assignment.Header });
            foreach (var chunk in Payloads.Chunks(payload, server.Options.ChunkBytes))
                await responseStream.WriteAsync(new TaskMessage { Chunk = chunk });
        }
        finally
        {
            server.Transfers.Release();
        }
    }

    public override async Task<ResultReply> SubmitResult(IAsyncStreamReader<ResultMessage> requestStream, ServerCallContext context)
    {
        var site = Site(context);
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.PartCase != ResultMessage.PartOneofCase.Header)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a result starts with its header"));
        using var upload = Call(() => server.BeginResult(site, requestStream.Current.Header));
        await server.Transfers.WaitAsync(context.CancellationToken);
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                if (requestStream.Current.PartCase != ResultMessage.PartOneofCase.Chunk)
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "only payload chunks may follow a result's header"));
                upload.Append(requestStream.Current.Chunk.Span);
            }
        }
        finally
        {
            server.Transfers.Release();
        }
        return upload.Complete();
    }

    /// <summary>Protocol problems become statuses the site's client understands.</summary>
    static T Call<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (ProtocolException e)
        {
            throw new RpcException(new Status(e.SayHelloAgain ? StatusCode.Unauthenticated : StatusCode.FailedPrecondition, e.Message));
        }
    }
}
