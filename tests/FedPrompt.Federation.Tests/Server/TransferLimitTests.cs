using FedPrompt.Federation.Server;
using FedPrompt.Federation.Tests.Provisioning;
using FedPrompt.Testing;
using global::Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Server;

/// <summary>A site with a valid certificate that opens upload streams and never sends cannot take
/// the server's transfer slots from the others: over real gRPC with mutual TLS on loopback.</summary>
public sealed class TransferLimitTests : IAsyncLifetime
{
    readonly TemporaryDirectory _workspace = new();
    FederationServer _server = null!;
    LoopbackNetwork _network = null!;

    public async Task InitializeAsync()
    {
        _server = new FederationServer(new ServerOptions
        {
            Workspace = _workspace.Path, MaxConcurrentTransfers = 3, MaxTransfersPerSite = 2, TransferIdleTimeout = TimeSpan.FromSeconds(4),
        }, NullLoggerFactory.Instance);
        _network = await LoopbackNetwork.StartAsync(_server, "transfers");
        _server.Start();
    }

    Protocol.Federation.FederationClient Site(string site) => _network.Site(site);

    [Fact]
    public async Task StalledUploadsAreCappedPerSiteAndCancelledWhileOtherSitesStillGetASlot()
    {
        var liar = Site("site-2");
        var stalled = new[] { liar.SubmitResult(), liar.SubmitResult() };
        // Both are open on the server (waiting for a header that never comes) before the third.
        await Task.Delay(TimeSpan.FromSeconds(1));

        using var third = liar.SubmitResult();
        var refused = await Assert.ThrowsAsync<RpcException>(() => third.ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("site-2 already has 2 transfers open or waiting (at most 2 a site)", refused.Status.Detail);

        // The liar holds two of the three slots; an honest site's upload still starts at once (and is
        // turned away for its made-up session, not left waiting).
        using var honest = Site("site-1").SubmitResult();
        await honest.RequestStream.WriteAsync(new Protocol.ResultMessage { Header = new Protocol.ResultHeader { Session = "no-such-session" } });
        var turnedAway = await Assert.ThrowsAsync<RpcException>(() => honest.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal(StatusCode.Unauthenticated, turnedAway.StatusCode);

        // With no progress for the idle timeout the server cancels the stalled streams and frees their slots.
        foreach (var call in stalled)
        {
            var cancelled = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(15)));
            Assert.Equal(StatusCode.DeadlineExceeded, cancelled.StatusCode);
            Assert.Contains("made no progress", cancelled.Status.Detail);
            call.Dispose();
        }
        using var again = liar.SubmitResult();
        await again.RequestStream.WriteAsync(new Protocol.ResultMessage { Header = new Protocol.ResultHeader { Session = "no-such-session" } });
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => again.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(3)))).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _network.DisposeAsync();
        await _server.DisposeAsync();
        _workspace.Dispose();
    }
}
