using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using FedPrompt.Federation.Provisioning;

namespace FedPrompt.Federation.Tests.Provisioning;

/// <summary>Real TLS between a Kestrel server on 127.0.0.1 and HttpClient, both set up by <see cref="MutualTls"/>.</summary>
public sealed class MutualTlsTests(MutualTlsTests.Projects projects) : IClassFixture<MutualTlsTests.Projects>
{
    /// <summary>Two independently provisioned projects: ours, and theirs with a CA of its own.</summary>
    public sealed class Projects : IDisposable
    {
        public ProvisionedProject Ours { get; } = new("ours");

        public ProvisionedProject Theirs { get; } = new("theirs");

        public void Dispose()
        {
            Ours.Dispose();
            Theirs.Dispose();
        }
    }

    [Theory]
    [InlineData("site-1", ParticipantRole.Site)]
    [InlineData(ProvisionedProject.Admin, ParticipantRole.Admin)]
    public async Task AcceptsAParticipantAndKnowsWhoItIs(string name, ParticipantRole role)
    {
        using var serverKit = projects.Ours.LoadKit("server");
        await using var server = await StartServer(serverKit);
        using var kit = projects.Ours.LoadKit(name);

        string answer = await GetPeer(MutualTls.CreateHandler(kit), server.Address);

        Assert.Equal($"{role.ToText()} {name}", answer);
        Assert.Equal([new PeerIdentity(name, role)], server.Seen);
    }

    [Fact]
    public async Task RefusesAClientOfAnotherProject()
    {
        using var serverKit = projects.Ours.LoadKit("server");
        await using var server = await StartServer(serverKit);
        using var ours = projects.Ours.LoadKit("site-1");
        using var theirs = projects.Theirs.LoadKit("site-1");

        // Their site's certificate, but trusting our CA, so only the server can be the one refusing.
        var handler = MutualTls.CreateHandler(theirs.Certificate, ours.CaCertificate);

        await Assert.ThrowsAsync<HttpRequestException>(() => GetPeer(handler, server.Address));
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task RefusesAClientWithoutACertificate()
    {
        using var serverKit = projects.Ours.LoadKit("server");
        await using var server = await StartServer(serverKit);
        using var kit = projects.Ours.LoadKit("site-1");
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = ProjectCaTrust.Policy(kit.CaCertificate, TlsPurposes.ServerAuthentication),
            },
        };

        await Assert.ThrowsAsync<HttpRequestException>(() => GetPeer(handler, server.Address));
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task RefusesAnExpiredCertificate()
    {
        using var serverKit = projects.Ours.LoadKit("server");
        await using var server = await StartServer(serverKit);
        string caFolder = Path.Combine(projects.Ours.OutDir, Provisioner.CaFolderName);
        using var ca = new CertificateAuthority(PemFiles.ReadCertificateWithKey(
            Path.Combine(caFolder, Provisioner.CaCertificateFile), Path.Combine(caFolder, Provisioner.CaKeyFile)));
        // Provisioning backdates the CA, so a minute from its start is already over.
        var start = new DateTimeOffset(ca.Certificate.NotBefore);
        using var expired = ca.IssueClient("site-1", ParticipantRole.Site, start, start.AddMinutes(1));
        Assert.True(expired.NotAfter < DateTime.Now);

        var handler = MutualTls.CreateHandler(expired, ca.Certificate);

        await Assert.ThrowsAsync<HttpRequestException>(() => GetPeer(handler, server.Address));
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task RefusesTheServerCertificateAsAClient()
    {
        using var serverKit = projects.Ours.LoadKit("server");
        await using var server = await StartServer(serverKit);

        var handler = MutualTls.CreateHandler(serverKit.Certificate, serverKit.CaCertificate);

        await Assert.ThrowsAsync<HttpRequestException>(() => GetPeer(handler, server.Address));
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task TheClientRefusesAServerOfAnotherProject()
    {
        using var serverKit = projects.Theirs.LoadKit("server");
        await using var server = await StartServer(serverKit);
        using var ours = projects.Ours.LoadKit("site-1");
        using var theirs = projects.Theirs.LoadKit("site-1");

        // A certificate their server accepts, so only the client can be the one refusing.
        var handler = MutualTls.CreateHandler(theirs.Certificate, ours.CaCertificate);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => GetPeer(handler, server.Address));
        Assert.IsType<AuthenticationException>(error.InnerException);
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task TheClientRefusesAServerUnderAnotherName()
    {
        using var serverKit = projects.Ours.LoadKit("server");
        await using var server = await StartServer(serverKit);
        using var kit = projects.Ours.LoadKit("site-1");
        var handler = MutualTls.CreateHandler(kit);
        // Whatever the URL says, connect to the test server: its certificate is genuine but not for that name.
        handler.ConnectCallback = async (_, cancellation) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, server.Address.Port, cancellation);
            return new NetworkStream(socket, ownsSocket: true);
        };

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            GetPeer(handler, new UriBuilder(server.Address) { Host = "elsewhere.example" }.Uri));
        Assert.IsType<AuthenticationException>(error.InnerException);
        Assert.Empty(server.Seen);
    }

    static Task<PeerReportingServer> StartServer(StartupKit kit) =>
        PeerReportingServer.StartAsync(options => MutualTls.ConfigureKestrel(options, kit, IPAddress.Loopback, 0));

    static async Task<string> GetPeer(HttpMessageHandler handler, Uri server)
    {
        using var client = new HttpClient(handler)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(10),
        };
        return await client.GetStringAsync(new Uri(server, "/peer"));
    }
}
