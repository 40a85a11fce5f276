using FedPrompt.Federation.Grpc;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Cli.Tests;

/// <summary>
/// Crash safety with real processes: the server and sites are killed like kill -9 (or die at a
/// crash point at a moment a signal could not hit reliably), the network between a site and the
/// server is cut; no round is lost or aggregated twice, no file is left half-written, and sites
/// that come back rejoin.
/// </summary>
public class CrashTests
{
    static readonly TimeSpan Long = TimeSpan.FromMinutes(3);

    /// <summary>Every round 0…rounds−1 trained once and the final validation once, in order.</summary>
    static void EveryRoundOnce(System.Text.Json.Nodes.JsonObject state, int rounds)
    {
        var done = Deployment.Rounds(state);
        Assert.Equal(Enumerable.Range(0, rounds + 1), done.Select(r => r.Round));
        Assert.Equal([.. Enumerable.Repeat("train", rounds), "validate"], done.Select(r => r.Kind));
    }

    /// <summary>The files state.json names are complete safetensors files.</summary>
    static void FilesAreWhole(Deployment deployment, string jobId, System.Text.Json.Nodes.JsonObject state)
    {
        foreach (var key in new[] { "global_file", "best_file" })
        {
            if (state[key]?.GetValue<string>() is not { } relative) continue;
            using var file = SafeTensorsFile.Open(Path.Combine(deployment.Workspace, "jobs", jobId, relative));
            foreach (var tensor in file.Tensors.Values) tensor.ReadInto(new byte[tensor.ByteCount]);
        }
    }

    [Fact]
    public async Task AServerKilledDuringARoundResumesAtThatRound()
    {
        using var deployment = new Deployment(sites: 2);
        var job = deployment.Job(rounds: 6, minClients: 2, epochs: 8);
        var server = deployment.Server();
        await server.WaitFor("listening", Deployment.Short);
        deployment.Site("site-1");
        deployment.Site("site-2");
        var jobId = deployment.Submit(job);

        var before = await deployment.WaitFor(jobId, s => Deployment.NextRound(s) >= 2, Long, "round 1");
        server.Kill();
        var atCrash = deployment.State(jobId)!;
        FilesAreWhole(deployment, jobId, atCrash);

        deployment.Server();
        var final = await deployment.WaitFor(jobId, s => Deployment.Status(s) == "finished", Long, "the job finishing after the restart");
        EveryRoundOnce(final, 6);
        Assert.All(Deployment.Rounds(final), r => Assert.Equal(["site-1", "site-2"], r.Sites));
        FilesAreWhole(deployment, jobId, final);
    }

    [Theory]
    [InlineData("models-written", 2)]
    [InlineData("state-written", 3)]
    public async Task AServerKilledWhileCommittingARoundLosesNothing(string stage, int resumesAt)
    {
        using var deployment = new Deployment(sites: 2);
        var job = deployment.Job(rounds: 5, minClients: 2);
        // The commit that ends round 2 dies after writing the round's model files, or after state.json.
        var server = deployment.Server(new Dictionary<string, string> { ["FEDPROMPT_CRASH_AT"] = $"commit:3:{stage}" });
        await server.WaitFor("listening", Deployment.Short);
        deployment.Site("site-1");
        deployment.Site("site-2");
        var jobId = deployment.Submit(job);

        var deadline = DateTime.UtcNow + Long;
        while (!server.HasExited)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server did not reach its crash point");
            await Task.Delay(100);
        }
        var afterCrash = deployment.State(jobId)!;
        Assert.Equal(resumesAt, Deployment.NextRound(afterCrash));
        FilesAreWhole(deployment, jobId, afterCrash);

        deployment.Server();
        var final = await deployment.WaitFor(jobId, s => Deployment.Status(s) == "finished", Long, "the job finishing after the restart");
        EveryRoundOnce(final, 5);
        FilesAreWhole(deployment, jobId, final);
    }

    [Fact]
    public async Task ASiteThatDiesMidUploadCostsItsRoundAndRejoinsAfterRestart()
    {
        using var deployment = new Deployment(sites: 3);
        // A long wait after min_clients: round 1 waits for site-3's upload, until site-3 is declared gone.
        var job = deployment.Job(rounds: 8, minClients: 2, epochs: 4, waitAfterMin: 120);
        var server = deployment.Server();
        await server.WaitFor("listening", Deployment.Short);
        deployment.Site("site-1");
        deployment.Site("site-2");
        var dying = deployment.Site("site-3", new Dictionary<string, string> { ["FEDPROMPT_CRASH_AT"] = "upload:train:1:half" });
        var jobId = deployment.Submit(job);

        var deadline = DateTime.UtcNow + Long;
        while (!dying.HasExited)
        {
            Assert.True(DateTime.UtcNow < deadline, "site-3 did not reach its crash point");
            await Task.Delay(100);
        }
        await Site3LosesRound1AndRejoins(deployment, jobId);
    }

    [Fact]
    public async Task ASiteKilledMidTrainingCostsItsRoundAndRejoinsAfterRestart()
    {
        using var deployment = new Deployment(sites: 3);
        var job = deployment.Job(rounds: 8, minClients: 2, epochs: 12, waitAfterMin: 120);
        var server = deployment.Server();
        await server.WaitFor("listening", Deployment.Short);
        deployment.Site("site-1");
        deployment.Site("site-2");
        var victim = deployment.Site("site-3");
        var jobId = deployment.Submit(job);

        await victim.WaitFor("Train task for job", Long);
        await victim.WaitFor(", round 1", Long);
        victim.Kill();
        await Site3LosesRound1AndRejoins(deployment, jobId);
    }

    /// <summary>Round 1 closes with sites 1 and 2; site-3, restarted, takes part in a later round; no round lost or doubled.</summary>
    static async Task Site3LosesRound1AndRejoins(Deployment deployment, string jobId)
    {
        var afterRound1 = await deployment.WaitFor(jobId, s => Deployment.NextRound(s) >= 2, Long, "round 1 closing without site-3");
        Assert.Equal(["site-1", "site-2"], Deployment.Rounds(afterRound1)[1].Sites);

        deployment.Site("site-3");
        var final = await deployment.WaitFor(jobId, s => Deployment.Status(s) == "finished", Long, "the job finishing");
        EveryRoundOnce(final, 8);
        Assert.Contains(Deployment.Rounds(final), r => r.Round > 1 && r.Sites.Contains("site-3"));
    }

    [Fact]
    public async Task ANetworkCutDeclaresTheSiteGoneAndItRejoinsWhenTheNetworkIsBack()
    {
        using var deployment = new Deployment(sites: 2);
        // site-2 reaches the server through a proxy that can cut the connection.
        int proxyPort = LoopbackPort.Free();
        var kitFile = Path.Combine(deployment.Kit("site-2"), "kit.json");
        var kit = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(kitFile))!.AsObject();
        kit["server_port"] = proxyPort;
        File.WriteAllText(kitFile, kit.ToJsonString());
        using var proxy = new TcpProxy(proxyPort, deployment.Port);

        var job = deployment.Job(rounds: 40, minClients: 1, epochs: 4, waitAfterMin: 0.5);
        var server = deployment.Server();
        await server.WaitFor("listening", Deployment.Short);
        deployment.Site("site-1");
        deployment.Site("site-2");
        var jobId = deployment.Submit(job);

        await deployment.WaitFor(jobId, s => Deployment.Rounds(s).Any(r => r.Sites.Contains("site-2")), Long, "site-2 contributing");
        proxy.Cut();
        await server.WaitFor("site site-2 declared gone", Long);
        var cut = Deployment.NextRound(deployment.State(jobId)!);
        // While cut off, rounds go on without site-2.
        await deployment.WaitFor(jobId, s => Deployment.Rounds(s).Any(r => r.Round >= cut && r.Sites.SequenceEqual(["site-1"])), Long, "a round without site-2");
        proxy.Restore();
        await deployment.WaitFor(jobId, s => Deployment.Rounds(s).Any(r => r.Round > cut && r.Sites.Contains("site-2")), Long, "site-2 rejoining");
        Assert.Contains("site-2: connected", string.Concat(server.Output, server.Error).Replace("site site-2 connected", "site-2: connected"));
    }
}
