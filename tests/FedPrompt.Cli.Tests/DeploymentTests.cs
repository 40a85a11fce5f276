using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>The federation as separate processes: a provisioned server, sites and an admin over mutual TLS on loopback.</summary>
public class DeploymentTests
{
    static readonly TimeSpan Short = TimeSpan.FromSeconds(60);

    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    static string Provision(string folder, string project, int port, params string[] sites)
    {
        var definition = new JsonObject
        {
            ["name"] = project,
            ["server"] = new JsonObject { ["name"] = "server", ["host"] = "localhost", ["port"] = port },
            ["sites"] = new JsonArray(sites.Select(s => (JsonNode)s).ToArray()),
            ["admins"] = new JsonArray("admin@example.org"),
        };
        var file = Path.Combine(folder, $"{project}.json");
        File.WriteAllText(file, definition.ToJsonString());
        var kits = Path.Combine(folder, $"{project}-kits");
        var (exit, _, error) = FedPromptProcess.Run(Short, "provision", "--project", file, "--out", kits);
        Assert.True(exit == 0, error);
        return kits;
    }

    [Fact]
    public async Task ProvisionedProcessesRunAJobAndAForeignCertificateIsRefused()
    {
        using var folder = new TemporaryDirectory();
        int port = FreePort();
        var kits = Provision(folder.Path, "fpb", port, "site-1", "site-2");
        var foreign = Provision(folder.Path, "other", port, "site-1");
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 2);
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 2, rounds: 2, minClients: 2);
        var model = RepositoryFiles.Engine("tiny-gpt2");
        string Kit(string root, string name) => Path.Combine(root, name);

        using var server = FedPromptProcess.Start("server", "--kit", Kit(kits, "server"), "--workspace", Path.Combine(folder.Path, "workspace"), "--heartbeat-interval", "0.5");
        await server.WaitFor($"listening on port {port}", Short);
        using var site1 = FedPromptProcess.Start("site", "--kit", Kit(kits, "site-1"), "--model", model, "--data", data);
        using var site2 = FedPromptProcess.Start("site", "--kit", Kit(kits, "site-2"), "--model", model, "--data", data);
        using var impostor = FedPromptProcess.Start("site", "--kit", Kit(foreign, "site-1"), "--model", model, "--data", data);
        await site1.WaitFor("connected", Short);
        await site2.WaitFor("connected", Short);

        var admin = Kit(kits, "admin@example.org");
        var (submitted, jobId, submitError) = FedPromptProcess.Run(Short, "admin", "--kit", admin, "submit", job);
        Assert.True(submitted == 0, submitError);
        jobId = jobId.Trim();

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
        Assert.Contains("PartialChain", impostor.Output + impostor.Error);
        Assert.DoesNotContain("site-1: connected", impostor.Output + impostor.Error);
        // And another CA's admin cannot administer this server.
        var (refused, _, refusal) = FedPromptProcess.Run(Short, "admin", "--kit", Kit(foreign, "admin@example.org"), "list");
        Assert.Equal(1, refused);
        Assert.Contains("error:", refusal);
    }
}
