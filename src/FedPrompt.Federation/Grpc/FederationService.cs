using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Wire;
using Google.Protobuf;
using global::Grpc.Core;
using Microsoft.Extensions.Hosting;

namespace FedPrompt.Federation.Grpc;

/// <summary>The site-facing gRPC service: identity from the client certificate, payloads in chunks, everything else in <see cref="FederationServer"/>.</summary>
public sealed class FederationService(FederationServer server, Func<ServerCallContext, PeerIdentity> identify, IHostApplicationLifetime lifetime)
    : Protocol.Federation.FederationBase
{
    /// <summary>A transfer ends when its site goes, the server stops (Kestrel's graceful stop would
    /// otherwise wait for it) or it makes no progress; a site with too many open is refused.</summary>
    async Task<TransferLimits.Transfer> BeginTransfer(string site, ServerCallContext context)
    {
        try
        {
            return await server.Transfers.BeginAsync(site, context.CancellationToken, lifetime.ApplicationStopping);
        }
        catch (TransferRefusedException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
    }

    static RpcException Stalled(string what) =>
        new(new Status(StatusCode.DeadlineExceeded, $"{what} made no progress for the server's transfer idle timeout; cancelled"));

    string Site(ServerCallContext context)
    {
        var peer = identify(context);
        if (peer.Role != ParticipantRole.Site) throw new RpcException(new Status(StatusCode.PermissionDenied, $"{peer.Name} is not a site (role {peer.Role.ToText()})"));
        return peer.Name;
    }

    public override Task<HelloReply> Hello(HelloRequest request, ServerCallContext context) =>
        Task.FromResult(Call(() => server.Hello(Site(context), request.FromWire())).ToWire());

    public override Task<HeartbeatReply> Heartbeat(HeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(server.Heartbeat(Site(context), request.FromWire()).ToWire());

    public override async Task NextTask(TaskRequest request, IServerStreamWriter<TaskMessage> responseStream, ServerCallContext context)
    {
        var site = Site(context);
        var assignment = Call(() => server.NextTask(site, request.Session));
        if (assignment.Payload is not { } payload)
        {
            await responseStream.WriteAsync(new TaskMessage { Header = assignment.Task.ToWire() });
            return;
        }
        using var transfer = await BeginTransfer(site, context);
        try
        {
            await responseStream.WriteAsync(new TaskMessage { Header = assignment.Task.ToWire() }, transfer.Token);
            foreach (var chunk in Payloads.Chunks(payload, server.Options.ChunkBytes))
            {
                await responseStream.WriteAsync(new TaskMessage { Chunk = ByteString.CopyFrom(chunk.Span) }, transfer.Token);
                transfer.Progressed();
            }
        }
        catch (OperationCanceledException) when (transfer.Stalled)
        {
            throw Stalled("the task's download");
        }
    }

    public override async Task<ResultReply> SubmitResult(IAsyncStreamReader<ResultMessage> requestStream, ServerCallContext context)
    {
        var site = Site(context);
        using var transfer = await BeginTransfer(site, context);
        try
        {
            if (!await requestStream.MoveNext(transfer.Token) || requestStream.Current.PartCase != ResultMessage.PartOneofCase.Header)
                throw new RpcException(new Status(StatusCode.InvalidArgument, "a result starts with its header"));
            using var upload = Call(() => server.BeginResult(site, requestStream.Current.Header.FromWire()));
            while (await requestStream.MoveNext(transfer.Token))
            {
                if (requestStream.Current.PartCase != ResultMessage.PartOneofCase.Chunk)
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "only payload chunks may follow a result's header"));
                upload.Append(requestStream.Current.Chunk.Span);
                transfer.Progressed();
            }
            return upload.Complete().ToWire();
        }
        catch (OperationCanceledException) when (transfer.Stalled)
        {
            throw Stalled("the result's upload");
        }
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
