using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Tests.Provisioning;
using FedPrompt.Federation.Wire;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Server;

/// <summary>One live session per site identity, over real gRPC with mutual TLS on loopback: a second
/// process with the same identity is refused while the first one's heartbeats are recent.</summary>
public sealed class SiteSessionTests : IAsyncLifetime
{
    readonly TemporaryDirectory _workspace = new();
    readonly ManualClock _clock = new();
    FederationServer _server = null!;
    LoopbackNetwork _network = null!;

    public async Task InitializeAsync()
    {
        _server = new FederationServer(new ServerOptions { Workspace = _workspace.Path }, NullLoggerFactory.Instance, _clock);
        _network = await LoopbackNetwork.StartAsync(_server, "sessions");
        _server.Start();
    }

    /// <summary>A site process's connection: its own channel, as a second process would have.</summary>
    GrpcFederationClient SiteProcess(string site) => _network.SiteClient(site);

    static SiteHello Hello(string previousSession = "") => new(Payloads.ProtocolVersion, "", previousSession);

    [Fact]
    public async Task ASecondProcessForALiveSiteIsRefusedAndTheFirstKeepsItsSession()
    {
        var first = SiteProcess("site-1");
        var second = SiteProcess("site-1");
        var session = (await first.HelloAsync(Hello(), default)).Session;

        var refusal = await Assert.ThrowsAsync<FederationRefusedException>(() => second.HelloAsync(Hello(), default));

        Assert.Contains("site site-1 is already connected", refusal.Message);
        Assert.Contains("is it running twice?", refusal.Message);
        Assert.Contains("expires after 60 s without heartbeats", refusal.Message);
        Assert.True((await first.HeartbeatAsync(new SiteHeartbeat(session, ""), default)).Known);
        Assert.Single(AuditLog.Read(_server.Audit.Path), e => e is { Actor: "site-1", Event: "refused" });
    }

    [Fact]
    public async Task ASiteReconnectingWithItsOwnSessionTakesItBack()
    {
        var site = SiteProcess("site-1");
        var lost = (await site.HelloAsync(Hello(), default)).Session;

        var again = (await site.HelloAsync(Hello(previousSession: lost), default)).Session;

        Assert.NotEqual(lost, again);
        Assert.True((await site.HeartbeatAsync(new SiteHeartbeat(again, ""), default)).Known);
        Assert.False((await site.HeartbeatAsync(new SiteHeartbeat(lost, ""), default)).Known);
    }

    [Fact]
    public async Task ASessionWhoseHeartbeatDeadlinePassedIsTakenOver()
    {
        var crashed = SiteProcess("site-1");
        var restarted = SiteProcess("site-1");
        var old = (await crashed.HelloAsync(Hello(), default)).Session;

        _clock.Advance(_server.Options.HeartbeatTimeout + TimeSpan.FromSeconds(1));
        var taken = (await restarted.HelloAsync(Hello(), default)).Session;

        Assert.True((await restarted.HeartbeatAsync(new SiteHeartbeat(taken, ""), default)).Known);
        Assert.False((await crashed.HeartbeatAsync(new SiteHeartbeat(old, ""), default)).Known);
    }

    [Fact]
    public async Task AnotherSiteIsNotAffected()
    {
        await SiteProcess("site-1").HelloAsync(Hello(), default);

        var other = await SiteProcess("site-2").HelloAsync(Hello(), default);

        Assert.NotEmpty(other.Session);
    }

    public async Task DisposeAsync()
    {
        await _network.DisposeAsync();
        await _server.DisposeAsync();
        _workspace.Dispose();
    }
}
