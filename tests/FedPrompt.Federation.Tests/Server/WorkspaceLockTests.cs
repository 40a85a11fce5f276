using FedPrompt.Federation.Server;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Server;

public class WorkspaceLockTests
{
    [Fact]
    public async Task ASecondServerOnALiveWorkspaceIsRefusedNamingTheWorkspaceAndItsHolder()
    {
        using var workspace = new TemporaryDirectory();
        var options = new ServerOptions { Workspace = workspace.Path };
        await using var owner = new FederationServer(options, NullLoggerFactory.Instance);
        owner.Start("port 8443");

        var refusal = Assert.Throws<WorkspaceInUseException>(() => new FederationServer(options, NullLoggerFactory.Instance));

        Assert.Contains($"workspace {workspace.Path} is in use by another server", refusal.Message);
        Assert.Contains($"process {Environment.ProcessId} on {Environment.MachineName}", refusal.Message);
        Assert.Contains("port 8443", refusal.Message);
        Assert.Single(AuditLog.Read(owner.Audit.Path), e => e.Event == "started");
    }

    [Fact]
    public async Task TheWorkspaceIsFreeAgainOnceItsServerStops()
    {
        using var workspace = new TemporaryDirectory();
        var options = new ServerOptions { Workspace = workspace.Path };
        var first = new FederationServer(options, NullLoggerFactory.Instance);
        first.Start();
        await first.DisposeAsync();

        await using var second = new FederationServer(options, NullLoggerFactory.Instance);
        second.Start();

        Assert.Equal(["started", "stopped", "started"], AuditLog.Read(second.Audit.Path).Select(e => e.Event));
    }
}
