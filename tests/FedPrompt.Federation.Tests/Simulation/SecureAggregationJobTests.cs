using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.SecureAggregation;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Federation.Site;
using FedPrompt.Model;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>Secure aggregation switched on in a job, end to end through the simulator.</summary>
public class SecureAggregationJobTests
{
    sealed record Run(JobState State, JobStore Store, List<(string Site, SiteResult Result, byte[]? Payload, ResultVerdict Reply)> Sent);

    static async Task<Run> Simulate(TemporaryDirectory folder, string name, bool secure, int minClients = 3,
        Func<string, IFederationClient, IFederationClient>? fault = null, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var data = Path.Combine(folder.Path, "data");
        if (!Directory.Exists(data)) TestJobs.WriteData(data, sites: 3);
        var job = TestJobs.Write(Path.Combine(folder.Path, $"job-{name}"), sites: 3, rounds: 2, minClients: minClients,
            server: new JsonObject { ["secure_aggregation"] = secure, ["wait_time_after_min_received"] = 60 });
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        var received = new ConcurrentBag<(string Site, SiteTask Task, byte[]? Payload)>();
        var sent = new ConcurrentBag<(string Site, SiteResult Result, byte[]? Payload, ResultVerdict Reply)>();
        var options = new SimulationOptions
        {
            JobFolder = job, Workspace = Path.Combine(folder.Path, $"workspace-{name}"), DataFolder = data,
            ClientDecorator = (site, client) => new RecordingClient(site, fault?.Invoke(site, client) ?? client, received, sent),
            ConfigureServer = configure,
        };
        var (state, store) = await Simulator.RunAsync(options, model, NullLoggerFactory.Instance).WaitAsync(TimeSpan.FromMinutes(3));
        return new Run(state, store, sent.ToList());
    }

    [Fact]
    public async Task TheSecureAggregateEqualsPlainFedAvgAndTheServerOnlySeesMaskedUpdates()
    {
        using var folder = new TemporaryDirectory();
        var plain = await Simulate(folder, "plain", secure: false);
        var secure = await Simulate(folder, "secure", secure: true);

        Assert.Equal(JobStatuses.Finished, secure.State.Status);
        var expected = ModelState.ReadFile(Path.Combine(plain.Store.Folder, JobStore.GlobalArtefactFile));
        var actual = ModelState.ReadFile(Path.Combine(secure.Store.Folder, JobStore.GlobalArtefactFile));
        for (int t = 0; t < expected.Tensors.Count; t++)
            for (int i = 0; i < expected.Tensors[t].Values.Length; i++)
                Assert.Equal(expected.Tensors[t].Values[i], actual.Tensors[t].Values[i], 5);
        Assert.All(secure.State.Rounds.Where(r => r.Kind == "train"), r => Assert.Equal(3, r.Sites.Count));

        // What reached the server: no plain update, only masked ones whose high bits look random
        // (a genuine fixed-point update of this size has its top 16 bits all 0 or all 1).
        Assert.All(secure.Sent.Where(s => s.Result.Kind == SiteTaskKind.Train), s => Assert.Null(s.Payload));
        var masked = secure.Sent.Where(s => s.Result.Kind == SiteTaskKind.SecureMask).ToList();
        Assert.Equal(6, masked.Count);
        foreach (var (site, _, payload, _) in masked)
        {
            var values = MaskedUpdate.FromBytes(payload!, site).Tensors.SelectMany(t => t.Values).ToList();
            double random = values.Count(v => (v >> 48) is not (0 or 0xFFFF)) / (double)values.Count;
            Assert.True(random > 0.99, $"{site}: only {random:P1} of the masked values have random high bits");
        }
    }

    [Fact]
    public async Task ASiteDroppingAfterTheKeysRestartsTheAggregationWithoutIt()
    {
        using var folder = new TemporaryDirectory();
        var run = await Simulate(folder, "dropout", secure: true, minClients: 2,
            fault: (site, client) => site == "site-3" ? new FaultyClient(client) { DieAt = t => t.Kind == SiteTaskKind.SecureMask && t.Round == 1 } : client,
            configure: o => o with { HeartbeatInterval = TimeSpan.FromMilliseconds(100), HeartbeatTimeout = TimeSpan.FromSeconds(1.5) });

        Assert.Equal(JobStatuses.Finished, run.State.Status);
        var round1 = run.State.Rounds.Single(r => r.Round == 1);
        Assert.Equal(["site-1", "site-2"], round1.Sites.Select(s => s.Site));
        Assert.Equal(2, round1.Aggregation!["secure_aggregation_attempts"]);
        Assert.Equal(3, run.State.Rounds.Single(r => r.Round == 0).Sites.Count);
    }
}
