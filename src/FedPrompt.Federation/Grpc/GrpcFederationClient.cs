using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Wire;
using Google.Protobuf;
using global::Grpc.Core;

namespace FedPrompt.Federation.Grpc;

/// <summary>A site's connection to a remote server over gRPC (mutual TLS is in the channel).</summary>
public sealed class GrpcFederationClient(Protocol.Federation.FederationClient client, long maxPayloadBytes) : IFederationClient
{
    int _chunkBytes = Payloads.DefaultChunkBytes;

    public async Task<SiteWelcome> HelloAsync(SiteHello hello, CancellationToken cancel)
    {
        var welcome = (await Call(() => client.HelloAsync(hello.ToWire(), cancellationToken: cancel).ResponseAsync)).FromWire();
        if (welcome.MaxChunkBytes > 0) _chunkBytes = welcome.MaxChunkBytes;
        return welcome;
    }

    public async Task<HeartbeatAnswer> HeartbeatAsync(SiteHeartbeat heartbeat, CancellationToken cancel) =>
        (await client.HeartbeatAsync(heartbeat.ToWire(), cancellationToken: cancel).ResponseAsync).FromWire();

    public Task<TaskAssignment> NextTaskAsync(string session, CancellationToken cancel) => Call(async () =>
    {
        using var call = client.NextTask(new TaskRequest { Session = session }, cancellationToken: cancel);
        if (!await call.ResponseStream.MoveNext(cancel) || call.ResponseStream.Current.PartCase != TaskMessage.PartOneofCase.Header)
            throw new InvalidDataException("the server's task did not start with a header");
        var task = call.ResponseStream.Current.Header.FromWire();
        if (task.Payload is null) return new TaskAssignment(task, null);
        using var receiver = PayloadReceiver.InMemory(task.Payload, maxPayloadBytes);
        while (await call.ResponseStream.MoveNext(cancel)) receiver.Append(call.ResponseStream.Current.Chunk.Span);
        return new TaskAssignment(task, ((MemoryStream)receiver.Complete()).ToArray());
    });

    public Task<ResultVerdict> SubmitResultAsync(SiteResult result, byte[]? payload, CancellationToken cancel) => Call(async () =>
    {
        using var call = client.SubmitResult(cancellationToken: cancel);
        await call.RequestStream.WriteAsync(new ResultMessage { Header = result.ToWire() }, cancel);
        if (payload is not null)
        {
            int sent = 0, half = (payload.Length / _chunkBytes + 1) / 2;
            foreach (var chunk in Payloads.Chunks(payload, _chunkBytes))
            {
                if (sent++ == half) CrashPoint.Hit($"upload:{result.Kind.ToString().ToLowerInvariant()}:{result.Round}:half");
                await call.RequestStream.WriteAsync(new ResultMessage { Chunk = ByteString.CopyFrom(chunk.Span) }, cancel);
            }
        }
        await call.RequestStream.CompleteAsync();
        return (await call.ResponseAsync).FromWire();
    });

    static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            throw new SessionLostException(e.Status.Detail);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.PermissionDenied)
        {
            throw new FederationRefusedException(e.Status.Detail);
        }
    }
}
