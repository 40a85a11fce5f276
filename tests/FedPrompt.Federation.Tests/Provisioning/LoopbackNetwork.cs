using System.Net;
using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Provisioning;

/// <summary>A server on the network for a test: a freshly provisioned project, the server's host on a
/// free loopback port with mutual TLS, and for each participant its own channel, as a separate process
/// would have.</summary>
public sealed class LoopbackNetwork : IAsyncDisposable
{
    readonly ProvisionedProject _project;
    readonly ServerHost _host;
    readonly List<IDisposable> _disposables;

    LoopbackNetwork(ProvisionedProject project, ServerHost host, List<IDisposable> disposables) =>
        (_project, _host, _disposables) = (project, host, disposables);

    public static async Task<LoopbackNetwork> StartAsync(FederationServer server, string name, int sites = 2)
    {
        var project = new ProvisionedProject(name, port: LoopbackPort.Free(), sites: sites);
        var kit = project.LoadKit("server");
        var host = await ServerHost.StartAsync(server, kit, IPAddress.Loopback, project.Definition.Server.Port, NullLoggerFactory.Instance);
        return new LoopbackNetwork(project, host, [kit]);
    }

    /// <summary>The site's own connection to the server, speaking the protocol's messages.</summary>
    public Protocol.Federation.FederationClient Site(string site)
    {
        var kit = _project.LoadKit(site);
        var channel = Channels.ToServer(kit);
        _disposables.Add(kit);
        _disposables.Add(channel);
        return new Protocol.Federation.FederationClient(channel);
    }

    /// <summary>The site's own connection, as the site executor uses it.</summary>
    public GrpcFederationClient SiteClient(string site) => new(Site(site), 1 << 20);

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        foreach (var disposable in _disposables) disposable.Dispose();
        _project.Dispose();
    }
}
