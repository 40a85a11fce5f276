using System.Text.Json.Nodes;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Wire;
using FedPrompt.Model;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>The server keeps a job going when sites die or misbehave.</summary>
public class FaultTests
{
    static async Task<(JobState State, JobStore Store)> Run(TemporaryDirectory folder, int rounds, int minClients, JsonObject server,
        Func<string, IFederationClient, IFederationClient> decorate, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 3);
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 3, rounds: rounds, minClients: minClients, server: server);
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        var options = new SimulationOptions
        {
            JobFolder = job, Workspace = Path.Combine(folder.Path, "workspace"), DataFolder = data,
            ClientDecorator = decorate, ConfigureServer = configure,
        };
        return await Simulator.RunAsync(options, model, NullLoggerFactory.Instance).WaitAsync(TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task ASiteKilledMidRoundCostsItsRoundButNotTheJob()
    {
        using var folder = new TemporaryDirectory();
        // A long wait after min_clients: the round can only close early by declaring site-3 gone.
        var (state, _) = await Run(folder, rounds: 3, minClients: 2, new JsonObject { ["wait_time_after_min_received"] = 120 },
            (site, client) => site == "site-3" ? new FaultyClient(client) { DieAt = t => t.Kind == SiteTaskKind.Train && t.Round == 1 } : client,
            o => o with { HeartbeatInterval = TimeSpan.FromMilliseconds(100), HeartbeatTimeout = TimeSpan.FromSeconds(1.5) });

        Assert.Equal(JobStatuses.Finished, state.Status);
        Assert.Equal(["site-1", "site-2", "site-3"], state.Rounds[0].Sites.Select(s => s.Site));
        Assert.Equal(["site-1", "site-2"], state.Rounds[1].Sites.Select(s => s.Site));
        Assert.Equal(["site-1", "site-2"], state.Rounds[2].Sites.Select(s => s.Site));
    }

    [Fact]
    public async Task BadResultsAreRejectedWithTheirReasonAndTheJobCompletes()
    {
        using var folder = new TemporaryDirectory();
        (SiteResult, byte[]?)? Corrupt(SiteResult header, byte[]? payload)
        {
            var update = ModelState.FromBytes(payload!, "update");
            switch (header.Round)
            {
                case 0:
                    update.Tensors[0].Values[0] = float.NaN;
                    return Announce(header, update.ToBytes());
                case 1:
                    var misShaped = new ModelState([.. update.Tensors.Skip(1), update.Tensors[0] with { Shape = [update.Tensors[0].Values.Length] }]);
                    return Announce(header, misShaped.ToBytes());
                case 2:
                    return (header with { Round = 0 }, payload);
                case 3:
                    return (header with { Payload = header.Payload! with { Sha256 = new string('0', 64) } }, payload);
                default:
                    return null;
            }
        }

        // The slow site's bad result must reach its own round under load: 5 s after the others' results, not 1.
        var (state, store) = await Run(folder, rounds: 5, minClients: 2, new JsonObject { ["wait_time_after_min_received"] = 5 },
            (site, client) => site switch
            {
                "site-2" => new FaultyClient(client) { Rewrite = Corrupt },
                "site-3" => new FaultyClient(client) { SendTwice = h => h.Round == 4 },
                _ => client,
            });

        Assert.Equal(JobStatuses.Finished, state.Status);
        string Rejected(int round) => string.Join(" | ", state.Rounds[round].Rejected);
        Assert.Contains("site-2: the update holds NaN or infinite values", Rejected(0));
        Assert.Contains("site-2: the update does not fit the global model", Rejected(1));
        Assert.Contains("site-2: the result is for round 0; the current round is 2", Rejected(2));
        Assert.Contains("site-2: payload checksum mismatch", Rejected(3));
        Assert.Contains("site-3: a second result from site-3 in round 4", Rejected(4));
        for (int round = 0; round < 4; round++) Assert.DoesNotContain(state.Rounds[round].Sites, s => s.Site == "site-2");
        Assert.Contains(state.Rounds[4].Sites, s => s.Site == "site-2");
        var global = ModelState.ReadFile(Path.Combine(store.Folder, JobStore.GlobalArtefactFile));
        Assert.All(global.Tensors, t => Assert.All(t.Values, v => Assert.True(float.IsFinite(v))));

        // The audit log has each rejection with its site, round and reason, and every acceptance.
        var audit = AuditLog.Read(Path.Combine(folder.Path, "workspace", "server", AuditLog.FileName));
        Assert.Contains(audit, e => e is { Actor: "site-2", Event: "result rejected", Round: 0 } && e.Detail!.Contains("NaN"));
        Assert.Contains(audit, e => e is { Actor: "site-3", Event: "result rejected", Round: 4 } && e.Detail!.Contains("second result"));
        Assert.Equal(4 * 2 + 3, audit.Count(e => e.Event == "train result accepted"));
        Assert.Contains(audit, e => e is { Actor: "simulator", Event: "job submitted" });
        Assert.Contains(audit, e => e is { Actor: "server", Event: "job finished" });
        Assert.Equal(3, audit.Count(e => e.Event == "connected"));
    }

    static (SiteResult, byte[]) Announce(SiteResult header, byte[] payload) =>
        (header with { Payload = Payloads.Describe(payload) }, payload);

    [Fact]
    public async Task ARejectedResultTheRoundCannotDoWithoutFailsTheJobInsteadOfWaitingForever()
    {
        using var folder = new TemporaryDirectory();
        (SiteResult, byte[]?)? Poison(SiteResult header, byte[]? payload)
        {
            var update = ModelState.FromBytes(payload!, "update");
            update.Tensors[0].Values[0] = float.NaN;
            return Announce(header, update.ToBytes());
        }
        var (state, _) = await Run(folder, rounds: 1, minClients: 3, new JsonObject(),
            (site, client) => site == "site-2" ? new FaultyClient(client) { Rewrite = Poison } : client);

        Assert.Equal(JobStatuses.Failed, state.Status);
        Assert.StartsWith("round 0: 2 of min_clients 3 results, no site left to answer; site-2: the update holds NaN or infinite values (", state.Message);
    }

    [Theory]
    [InlineData(2, "finished")]
    [InlineData(3, "failed")]
    public async Task ASiteThatCannotSetUpIsLeftOutAndTheJobGoesOnIfEnoughRemain(int minClients, string status)
    {
        using var folder = new TemporaryDirectory();
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 3);
        File.Delete(Path.Combine(data, "site-2.jsonl"));
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 3, rounds: 2, minClients: minClients);
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        var options = new SimulationOptions { JobFolder = job, Workspace = Path.Combine(folder.Path, "workspace"), DataFolder = data };

        var (state, _) = await Simulator.RunAsync(options, model, NullLoggerFactory.Instance).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(status, state.Status);
        if (status == "finished") Assert.All(state.Rounds, r => Assert.Equal(["site-1", "site-3"], r.Sites.Select(s => s.Site)));
        else Assert.Contains("site-2.jsonl", state.Message);
        var audit = AuditLog.Read(Path.Combine(folder.Path, "workspace", "server", AuditLog.FileName));
        Assert.Contains(audit, e => e is { Actor: "site-2", Event: "excluded from job" } && e.Detail!.Contains("site-2.jsonl"));
    }

    [Fact]
    public async Task AnOversizedPayloadIsRefusedAndTheSiteLosesOnlyThatRound()
    {
        using var folder = new TemporaryDirectory();
        // The encoder is a few KiB; site-2 pads its round-1 update past the server's 64 KiB limit.
        (SiteResult, byte[]?)? Pad(SiteResult header, byte[]? payload) =>
            header.Round == 1 ? Announce(header, [.. payload!, .. new byte[100_000]]) : null;
        var (state, _) = await Run(folder, rounds: 3, minClients: 2, new JsonObject { ["wait_time_after_min_received"] = 1 },
            (site, client) => site == "site-2" ? new FaultyClient(client) { Rewrite = Pad } : client,
            o => o with { MaxPayloadBytes = 64 * 1024 });

        Assert.Equal(JobStatuses.Finished, state.Status);
        Assert.Contains("site-2: payload of", string.Join(" | ", state.Rounds[1].Rejected));
        Assert.Contains("exceeds the limit of 65,536 bytes", string.Join(" | ", state.Rounds[1].Rejected));
        Assert.Contains(state.Rounds[2].Sites, s => s.Site == "site-2");
    }

    [Fact]
    public async Task AResultFromASiteOutsideTheJobIsRejected()
    {
        using var folder = new TemporaryDirectory();
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 2);
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 2, rounds: 1, minClients: 2);
        await using var server = new FederationServer(new ServerOptions { Workspace = Path.Combine(folder.Path, "server") }, NullLoggerFactory.Instance);
        var jobId = server.Submit("test", "synthetic", FedPrompt.Federation.Jobs.JobDefinition.Zip(job)).JobId;
        server.Start();
        while (server.Job(jobId)!.Status != JobStatuses.Running) await Task.Delay(20);

        var stranger = new InProcessFederationClient(server, "site-9");
        var hello = await stranger.HelloAsync(new SiteHello(Payloads.ProtocolVersion, "", ""), default);
        Assert.Equal(SiteTaskKind.Wait, (await stranger.NextTaskAsync(hello.Session, default)).Task.Kind);
        var reply = await stranger.SubmitResultAsync(new SiteResult { Session = hello.Session, JobId = jobId, Kind = SiteTaskKind.Train, Round = 0, Steps = 1 }, null, default);
        Assert.False(reply.Accepted);
        Assert.Equal($"site site-9 is not in job {jobId}", reply.Reason);
        Assert.Contains(AuditLog.Read(server.Audit.Path), e => e is { Actor: "site-9", Event: "result rejected" });

        var unknownSession = await Assert.ThrowsAsync<SessionLostException>(() => stranger.NextTaskAsync("forged", default));
        Assert.Contains("unknown session", unknownSession.Message);
        var oldProtocol = Assert.Throws<ProtocolException>(() => server.Hello("site-1", new SiteHello(99, "", "")));
        Assert.Contains("protocol version 99 is not supported", oldProtocol.Message);
    }
}
