using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.Privacy;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Model;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>Differential privacy switched on in a job, end to end through the simulator.</summary>
public class PrivacyJobTests
{
    static async Task<(JobState State, ConcurrentBag<(string Site, SiteResult Result, byte[]? Payload, ResultVerdict Reply)> Sent)> Run(
        TemporaryDirectory folder, JsonObject privacy, int rounds = 3)
    {
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 3);
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 3, rounds: rounds, minClients: 3, server: new JsonObject { ["privacy"] = privacy });
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        var received = new ConcurrentBag<(string Site, SiteTask Task, byte[]? Payload)>();
        var sent = new ConcurrentBag<(string Site, SiteResult Result, byte[]? Payload, ResultVerdict Reply)>();
        var options = new SimulationOptions
        {
            JobFolder = job, Workspace = Path.Combine(folder.Path, "workspace"), DataFolder = data,
            ClientDecorator = (site, client) => new RecordingClient(site, client, received, sent),
        };
        var (state, _) = await Simulator.RunAsync(options, model, NullLoggerFactory.Instance).WaitAsync(TimeSpan.FromMinutes(3));
        return (state, sent);
    }

    [Fact]
    public async Task CentralPrivacyClipsEveryUpdateAndReportsTheBudgetSpent()
    {
        using var folder = new TemporaryDirectory();
        var (state, _) = await Run(folder, new JsonObject { ["mode"] = "central", ["clip_norm"] = 1e-3, ["noise_multiplier"] = 1.0, ["noise_seed"] = 7 });

        Assert.Equal(JobStatuses.Finished, state.Status);
        var settings = new PrivacySettings { Mode = PrivacyMode.Central, ClipNorm = 1e-3, NoiseMultiplier = 1.0 };
        foreach (var round in state.Rounds.Where(r => r.Kind == "train"))
        {
            Assert.Equal(3, round.Aggregation!["clipped_updates"]);
            Assert.Equal(settings.GuaranteeAfter(round.Round + 1).Epsilon, round.Aggregation["epsilon"], 9);
        }
        Assert.True(state.Rounds[2].Aggregation!["epsilon"] > state.Rounds[0].Aggregation!["epsilon"]);
    }

    [Fact]
    public async Task LocalPrivacyClipsUpdatesBeforeTheyLeaveTheSite()
    {
        using var folder = new TemporaryDirectory();
        const double clip = 1e-3;
        // Noise multiplier 0: the clipping bound alone is visible in what the server receives.
        var (state, sent) = await Run(folder, new JsonObject { ["mode"] = "local", ["clip_norm"] = clip, ["noise_multiplier"] = 0.0 }, rounds: 2);

        Assert.Equal(JobStatuses.Finished, state.Status);
        var updates = sent.Where(s => s.Result.Kind == SiteTaskKind.Train).ToList();
        Assert.Equal(6, updates.Count);
        foreach (var update in updates)
        {
            Assert.True(UpdateClipper.Norm(ModelState.FromBytes(update.Payload!, update.Site)) <= clip * (1 + 1e-6));
            Assert.Equal(1, update.Result.Metrics["update_clipped"]);
            Assert.True(update.Result.Metrics["update_norm"] > clip);
        }
        Assert.True(double.IsPositiveInfinity(state.Rounds[0].Aggregation!["epsilon"]));
    }

    [Theory]
    [InlineData("{\"mode\":\"central\",\"clip_norm\":1,\"noise_multiplier\":1}", true, "secure_aggregation hides each update")]
    [InlineData("{\"mode\":\"central\",\"clip_norm\":0,\"noise_multiplier\":1}", false, "privacy.clip_norm must be a finite number > 0")]
    [InlineData("{\"mode\":\"central\",\"clip_norm\":1,\"noise_multiplier\":1,\"epsilon\":3}", false, "epsilon")]
    public void BadPrivacySettingsAreRefusedWhenTheJobIsLoaded(string privacy, bool secure, string problem)
    {
        using var folder = new TemporaryDirectory();
        var server = new JsonObject { ["privacy"] = JsonNode.Parse(privacy), ["secure_aggregation"] = secure };
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 3, rounds: 1, minClients: 2, server: server);
        var error = Assert.Throws<InvalidDataException>(() => FedPrompt.Federation.Jobs.JobDefinition.Load(job));
        Assert.Contains(problem, error.Message);
        Assert.Contains("config.json", error.Message);
    }
}
