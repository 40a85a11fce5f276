using FedPrompt.Federation.Provisioning;
using global::Grpc.Net.Client;

namespace FedPrompt.Federation.Grpc;

/// <summary>A gRPC channel to the kit's server over mutual TLS.</summary>
public static class Channels
{
    public static GrpcChannel ToServer(StartupKit kit, int chunkBytes = Wire.Payloads.DefaultChunkBytes) =>
        GrpcChannel.ForAddress($"https://{kit.ServerHost}:{kit.ServerPort}", new GrpcChannelOptions
        {
            HttpHandler = MutualTls.CreateHandler(kit),
            MaxReceiveMessageSize = chunkBytes + (1 << 20),
            MaxSendMessageSize = chunkBytes + (1 << 20),
            DisposeHttpClient = true,
        });
}
