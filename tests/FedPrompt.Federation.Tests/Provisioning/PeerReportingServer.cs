using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using FedPrompt.Federation.Provisioning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace FedPrompt.Federation.Tests.Provisioning;

/// <summary>A running Kestrel app whose one endpoint, <c>/peer</c>, answers with the identity in the
/// client's certificate and records it, so tests can tell whether any request got through.</summary>
sealed class PeerReportingServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentQueue<PeerIdentity> _seen = new();

    PeerReportingServer(WebApplication app)
    {
        _app = app;
        _app.MapGet("/peer", (HttpContext context) => Report(context.Connection.ClientCertificate));
    }

    /// <summary>The address the server listens on, with the port chosen when it started.</summary>
    public Uri Address =>
        new(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());

    public IReadOnlyCollection<PeerIdentity> Seen => _seen;

    public static async Task<PeerReportingServer> StartAsync(Action<KestrelServerOptions> listen)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(listen);
        builder.Services.AddRoutingCore();
        var server = new PeerReportingServer(builder.Build());
        await server._app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    string Report(X509Certificate2? certificate)
    {
        // MutualTls requires a certificate, so a request without one is a failure of what is under test.
        var identity = PeerIdentity.From(
            certificate ?? throw new InvalidOperationException("a request without a client certificate got through"));
        _seen.Enqueue(identity);
        return identity.ToString();
    }
}
