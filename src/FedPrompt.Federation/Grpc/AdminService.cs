using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Wire;
using Google.Protobuf;
using global::Grpc.Core;

namespace FedPrompt.Federation.Grpc;

/// <summary>The admin-facing gRPC service: only certificates with the admin role may call it.</summary>
public sealed class AdminService(FederationServer server, Func<ServerCallContext, PeerIdentity> identify) : Protocol.Admin.AdminBase
{
    string Admin(ServerCallContext context)
    {
        var peer = identify(context);
        if (peer.Role != ParticipantRole.Admin)
        {
            server.Audit.Record(peer.Name, "admin refused", detail: $"role {peer.Role.ToText()} called {context.Method}");
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{peer.Name} may not administer the server (role {peer.Role.ToText()})"));
        }
        server.Audit.Record(peer.Name, "admin call", detail: context.Method);
        return peer.Name;
    }

    public override async Task<JobReply> SubmitJob(IAsyncStreamReader<JobUpload> requestStream, ServerCallContext context)
    {
        var admin = Admin(context);
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.PartCase != JobUpload.PartOneofCase.Header)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a job upload starts with its header"));
        var header = requestStream.Current.Header;
        PayloadReceiver receiver;
        try
        {
            receiver = PayloadReceiver.InMemory((header.Payload ?? new PayloadInfo()).FromWire(), server.Options.MaxPayloadBytes);
        }
        catch (PayloadException e)
        {
            return new JobReply { Ok = false, Message = e.Message };
        }
        using (receiver)
        {
            try
            {
                while (await requestStream.MoveNext(context.CancellationToken))
                    receiver.Append(requestStream.Current.Chunk.Span);
                var zip = ((MemoryStream)receiver.Complete()).ToArray();
                return server.Submit(admin, header.Name, zip).ToWire();
            }
            catch (PayloadException e)
            {
                return new JobReply { Ok = false, Message = e.Message };
            }
        }
    }

    public override Task<ListJobsReply> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        Admin(context);
        var reply = new ListJobsReply();
        reply.Jobs.AddRange(server.Jobs().Select(Summary));
        return Task.FromResult(reply);
    }

    public override Task<JobStatusReply> JobStatus(JobStatusRequest request, ServerCallContext context)
    {
        Admin(context);
        var state = server.Job(request.JobId) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no job {request.JobId}"));
        var reply = new JobStatusReply { Job = Summary(state) };
        reply.Rounds.AddRange(state.Rounds.Select(r =>
        {
            var round = new RoundSummary
            {
                Round = r.Round, ValidationLoss = r.ValidationLoss ?? double.NaN, ValidationAccuracy = r.ValidationAccuracy ?? double.NaN,
                ClosedUnixMs = r.Closed.ToUnixTimeMilliseconds(),
            };
            round.Sites.AddRange(r.Sites.Select(s => s.Site));
            return round;
        }));
        reply.Sites.AddRange(server.JobSites(state.JobId).Select(s => new JobSiteStatus { Name = s.Site, Connection = s.Connection, Activity = s.Activity }));
        return Task.FromResult(reply);
    }

    /// <summary>The job's result files as they are now, each read whole and checked by the client
    /// against its announced size and hash, in chunks below the wire's message-size limit.</summary>
    public override async Task DownloadJob(DownloadJobRequest request, IServerStreamWriter<JobFileMessage> responseStream, ServerCallContext context)
    {
        Admin(context);
        if (server.Job(request.JobId) is null) throw new RpcException(new Status(StatusCode.NotFound, $"no job {request.JobId}"));
        var store = server.Store(request.JobId);
        foreach (var name in store.ResultFiles())
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(store.Folder, name), context.CancellationToken);
            await responseStream.WriteAsync(new JobFileMessage { Header = new JobFileHeader { Name = name, Payload = Payloads.Describe(bytes).ToWire() } });
            foreach (var chunk in Payloads.Chunks(bytes, server.Options.ChunkBytes))
                await responseStream.WriteAsync(new JobFileMessage { Chunk = ByteString.CopyFrom(chunk.Span) });
        }
    }

    public override Task<JobReply> AbortJob(AbortJobRequest request, ServerCallContext context) =>
        Task.FromResult(server.Abort(request.JobId, Admin(context)).ToWire());

    public override Task<ListSitesReply> ListSites(ListSitesRequest request, ServerCallContext context)
    {
        Admin(context);
        var reply = new ListSitesReply();
        reply.Sites.AddRange(server.Sites.Snapshot().Select(s => new SiteSummary
        {
            Name = s.Name, Alive = s.Alive, LastSeenUnixMs = s.LastSeen.ToUnixTimeMilliseconds(), TaskId = s.TaskId ?? "",
        }));
        return Task.FromResult(reply);
    }

    static JobSummary Summary(JobState state) => new()
    {
        JobId = state.JobId,
        Name = state.Name,
        Status = state.Status,
        RoundsDone = state.NextRound,
        NumRounds = state.NumRounds,
        BestValidationLoss = state.BestLoss ?? double.NaN,
        BestRound = state.BestRound,
        SubmittedBy = state.SubmittedBy,
        Message = state.Message ?? "",
    };
}
