using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Wire;
using global::Grpc.Core;

namespace FedPrompt.Federation.Grpc;

/// <summary>A site's connection to a remote server over gRPC (mutual TLS is in the channel).</summary>
public sealed class GrpcFederationClient(Protocol.Federation.FederationClient client, long maxPayloadBytes) : IFederationClient
{
    int _chunkBytes = Payloads.DefaultChunkBytes;

    public async Task<HelloReply> HelloAsync(HelloRequest request, CancellationToken cancel)
    {
        var reply = await Call(() => client.HelloAsync(request, cancellationToken: cancel).ResponseAsync);
        if (reply.MaxChunkBytes > 0) _chunkBytes = (int)reply.MaxChunkBytes;
        return reply;
    }

    public Task<HeartbeatReply> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancel) =>
        client.HeartbeatAsync(request, cancellationToken: cancel).ResponseAsync;

    public Task<(TaskHeader Header, byte[]? Payload)> NextTaskAsync(TaskRequest request, CancellationToken cancel) => Call(async () =>
    {
        using var call = client.NextTask(request, cancellationToken: cancel);
        if (!await call.ResponseStream.MoveNext(cancel) || call.ResponseStream.Current.PartCase != TaskMessage.PartOneofCase.Header)
            throw new InvalidDataException("the server's task did not start with a header");
        var header = call.ResponseStream.Current.Header;
        if (header.Payload is null) return (header, (byte[]?)null);
        using var receiver = PayloadReceiver.InMemory(header.Payload, maxPayloadBytes);
        while (await call.ResponseStream.MoveNext(cancel)) receiver.Append(call.ResponseStream.Current.Chunk.Span);
        return (header, ((MemoryStream)receiver.Complete()).ToArray());
    });

    public Task<ResultReply> SubmitResultAsync(ResultHeader header, byte[]? payload, CancellationToken cancel) => Call(async () =>
    {
        using var call = client.SubmitResult(cancellationToken: cancel);
        await call.RequestStream.WriteAsync(new ResultMessage { Header = header }, cancel);
        if (payload is not null)
        {
            int sent = 0, half = (payload.Length / _chunkBytes + 1) / 2;
            foreach (var chunk in Payloads.Chunks(payload, _chunkBytes))
            {
                if (sent++ == half) CrashPoint.Hit($"upload:{header.Kind.ToString().ToLowerInvariant()}:{header.Round}:half");
                await call.RequestStream.WriteAsync(new ResultMessage { Chunk = chunk }, cancel);
            }
        }
        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
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
