using System.Net;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Server;
using global::Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Grpc;

/// <summary>The server on the network: Kestrel, HTTP/2 with mutual TLS (the kit's certificate, only
/// the project CA's clients), the site and admin gRPC services.</summary>
public sealed class ServerHost : IAsyncDisposable
{
    /// <summary>How long a stop waits for calls still open (admin uploads and downloads among them)
    /// before it drops them: well inside the ~10 s a service manager gives before it kills.</summary>
    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);

    readonly WebApplication _app;

    ServerHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    /// <summary>The port listened on (useful when 0 asked for any free one).</summary>
    public int Port { get; }

    public static async Task<ServerHost> StartAsync(FederationServer server, StartupKit kit, IPAddress? bind, int port, ILoggerFactory logs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(logs);
        builder.WebHost.ConfigureKestrel(options =>
        {
            MutualTls.ConfigureKestrel(options, kit, bind, port);
            // Small receive windows: a site waiting for its turn to upload (see MaxConcurrentTransfers)
            // can only have this much of its payload buffered in the server.
            options.Limits.Http2.InitialStreamWindowSize = 128 * 1024;
            options.Limits.Http2.InitialConnectionWindowSize = 256 * 1024;
        });
        builder.Services.AddGrpc(options =>
        {
            // Payload chunks are at most ChunkBytes; the rest of a message is small.
            options.MaxReceiveMessageSize = server.Options.ChunkBytes + (1 << 20);
            options.MaxSendMessageSize = server.Options.ChunkBytes + (1 << 20);
        });
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = StopGrace);
        builder.Services.AddSingleton(server);
        builder.Services.AddSingleton<Func<ServerCallContext, PeerIdentity>>(context =>
            PeerIdentity.From(context.GetHttpContext().Connection.ClientCertificate
                ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "no client certificate"))));
        var app = builder.Build();
        app.MapGrpcService<FederationService>();
        app.MapGrpcService<AdminService>();
        try
        {
            await app.StartAsync();
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            await app.DisposeAsync();
            throw new IOException($"port {port} is in use (another server or program listens on it): stop it, or give this server another --port", e);
        }
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ServerHost(app, int.Parse(address[(address.LastIndexOf(':') + 1)..].TrimEnd('/')));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
