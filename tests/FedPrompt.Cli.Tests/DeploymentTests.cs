using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>The federation as separate processes: a provisioned server, sites and an admin over mutual TLS on loopback.</summary>
public class DeploymentTests
{
    static readonly TimeSpan Short = Deployment.Short;

    [Fact]
    public async Task ProvisionedProcessesRunAJobAndAForeignCertificateIsRefused()
    {
        using var deployment = new Deployment(sites: 2);
        var foreign = Deployment.Provision(deployment.Folder.Path, "other", deployment.Port, "site-1");
        var job = deployment.Job(rounds: 2, minClients: 2);

        var server = deployment.Server();
        await server.WaitFor($"listening on port {deployment.Port}", Short);
        var site1 = deployment.Site("site-1");
        var site2 = deployment.Site("site-2");
        using var impostor = FedPromptProcess.Start("site", "--kit", Path.Combine(foreign, "site-1"), "--model", RepositoryFiles.Engine("tiny-gpt2"), "--data", deployment.Data);
        await site1.WaitFor("connected", Short);
        await site2.WaitFor("connected", Short);

        var admin = deployment.Admin;
        var jobId = deployment.Submit(job);

        string status = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!status.StartsWith($"{jobId} finished", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"job did not finish: {status}\n{server.Output}");
            await Task.Delay(500);
            var (_, output, _) = FedPromptProcess.Run(Short, "admin", "--kit", admin, "status", jobId);
            status = output;
        }
        Assert.Contains("site-1, site-2", status);

        var (_, sites, _) = FedPromptProcess.Run(Short, "admin", "--kit", admin, "sites");
        Assert.Contains("site-2", sites);
        // The impostor (another project's CA, even with a valid site name) never got through the handshake.
        Assert.Contains("cannot reach the server", impostor.Output + impostor.Error);
        Assert.Contains("the TLS handshake failed: the server's certificate was not issued by this kit's project CA", impostor.Output + impostor.Error);
        Assert.DoesNotContain("Exception", impostor.Output + impostor.Error);
        Assert.DoesNotContain("site-1: connected", impostor.Output + impostor.Error);
        // And another CA's admin cannot administer this server.
        var (refused, _, refusal) = FedPromptProcess.Run(Short, "admin", "--kit", Path.Combine(foreign, "admin@example.org"), "list");
        Assert.Equal(1, refused);
        Assert.Contains("error:", refusal);
    }
}
