using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Server;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>Mistakes with identities, workspaces, ports and signals, made with real processes over
/// mutual TLS on loopback: each gets a message that names it and a non-zero exit, and the live
/// server and site are left as they were.</summary>
public class ServerGuardTests
{
    static readonly TimeSpan Short = Deployment.Short;

    static int Count(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    [Fact]
    public async Task TheSameSiteStartedTwiceIsRefusedWhileTheFirstKeepsItsSession()
    {
        using var deployment = new Deployment(sites: 1);
        var server = deployment.Server();
        await server.WaitFor("listening", Short);
        var first = deployment.Site("site-1");
        await first.WaitFor("site-1: connected", Short);

        var second = deployment.Site("site-1");
        var exit = await second.Exited(Short);

        Assert.Equal(1, exit);
        Assert.Contains("error: site site-1 is already connected", second.Error);
        Assert.Contains("is it running twice?", second.Error);
        Assert.False(first.HasExited);
        Assert.DoesNotContain("saying Hello again", first.Output + first.Error);
        Assert.Equal(1, Count(server.Output, "site site-1 connected"));
        Assert.Contains("refused a second session for site site-1", server.Output);
        var (_, sites, _) = FedPromptProcess.Run(Short, "admin", "--kit", deployment.Admin, "sites");
        Assert.Contains("site-1\tyes\t", sites);
    }

    [Fact]
    public async Task ASecondServerOnALiveWorkspaceOrOnAPortInUseRefusesToStart()
    {
        using var deployment = new Deployment(sites: 1);
        var owner = deployment.Server();
        await owner.WaitFor("listening", Short);

        var sameWorkspace = deployment.Server(port: Federation.Grpc.LoopbackPort.Free());
        Assert.Equal(1, await sameWorkspace.Exited(Short));
        Assert.Contains($"error: workspace {deployment.Workspace} is in use by another server (process {owner.Id} on {Environment.MachineName}", sameWorkspace.Error);
        Assert.Contains($"port {deployment.Port})", sameWorkspace.Error);

        var otherWorkspace = Path.Combine(deployment.Folder.Path, "other-workspace");
        var samePort = deployment.Server(workspace: otherWorkspace);
        Assert.Equal(1, await samePort.Exited(Short));
        Assert.Contains($"error: port {deployment.Port} is in use", samePort.Error);
        Assert.DoesNotContain("   at ", samePort.Output + samePort.Error);

        Assert.Single(AuditLog.Read(Path.Combine(deployment.Workspace, AuditLog.FileName)), e => e.Event == "started");
        // The server that could not bind recorded nothing: no "started" for a server that never ran.
        Assert.False(File.Exists(Path.Combine(otherWorkspace, AuditLog.FileName)));
        Assert.False(owner.HasExited);
    }

    [Fact]
    public async Task SigtermStopsTheServerAsCtrlCDoes()
    {
        using var deployment = new Deployment(sites: 1);
        var server = deployment.Server();
        await server.WaitFor("listening", Short);
        deployment.Site("site-1");
        await server.WaitFor("site site-1 connected", Short);

        server.Terminate();

        Assert.Equal(0, await server.Exited(Short));
        Assert.Contains("server server stopping", server.Output);
        Assert.Equal("stopped", AuditLog.Read(Path.Combine(deployment.Workspace, AuditLog.FileName))[^1].Event);
    }

    [Fact]
    public async Task SigtermStopsTheServerWithinSecondsWhileASiteIsConnectedAndAnUploadStalls()
    {
        using var deployment = new Deployment(sites: 1);
        var server = deployment.Server();
        await server.WaitFor("listening", Short);
        var site = deployment.Site("site-1");
        await server.WaitFor("site site-1 connected", Short);
        // A result upload that never sends its header: what a site on a stalled link looks like to the server.
        using var kit = StartupKit.Load(deployment.Kit("site-1"));
        using var channel = Channels.ToServer(kit);
        using var stalled = new Federation.Protocol.Federation.FederationClient(channel).SubmitResult();
        await Task.Delay(TimeSpan.FromSeconds(1));

        server.Terminate();

        // A service manager waits about 10 s before it kills; an open call must not hold the server that long.
        Assert.Equal(0, await server.Exited(TimeSpan.FromSeconds(10)));
        Assert.Contains("server server stopping", server.Output);
        Assert.False(site.HasExited);
    }

    [Fact]
    public async Task AJobNamingAnUnprovisionedSiteIsRefusedAndOneWhoseSitesNeverConnectFails()
    {
        using var deployment = new Deployment(sites: 2);
        var server = deployment.Server(options: ["--site-connect-timeout", "1"]);
        await server.WaitFor("listening", Short);

        var stranger = TestJobs.Write(Path.Combine(deployment.Folder.Path, "stranger-job"), sites: 3, rounds: 1, minClients: 2);
        var (refused, _, refusal) = FedPromptProcess.Run(Short, "admin", "--kit", deployment.Admin, "submit", stranger);
        Assert.Equal(1, refused);
        Assert.Contains("error: the server refused the job: the job names site-3, which this project never provisioned (its sites: site-1, site-2)", refusal);

        // Only site-1 starts; min_clients is 2, so the job cannot run.
        deployment.Site("site-1");
        var jobId = deployment.Submit(deployment.Job(rounds: 1, minClients: 2));
        var (exit, output, error) = FedPromptProcess.Run(Short, "admin", "--kit", deployment.Admin, "status", jobId, "--follow", "--interval", "0.2");

        Assert.Equal(1, exit);
        Assert.Contains("site-2: never connected", output);
        Assert.Contains($"error: job {jobId} failed: fewer than min_clients 2 of its sites were connected for 1 s", error);
        Assert.Contains("site-2 never connected", error);
        Assert.Contains($"job {jobId}: waiting for", server.Output);
    }
}
