using System.Text.Json.Nodes;
using FedPrompt.Federation.Jobs;
using FedPrompt.Testing;

namespace FedPrompt.Federation.Tests.Jobs;

/// <summary>A bad job folder is refused when it is loaded (on submission), naming the file and the problem.</summary>
public class JobDefinitionTests
{
    static string Job(TemporaryDirectory folder, Action<JsonObject, JsonObject, JsonObject> edit)
    {
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 3, rounds: 2, minClients: 2);
        JsonObject Read(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(job, file)))!.AsObject();
        var (meta, server, site) = (Read("meta.json"), Read("app_server/config.json"), Read("app_site/config.json"));
        edit(meta, server, site);
        File.WriteAllText(Path.Combine(job, "meta.json"), meta.ToJsonString());
        File.WriteAllText(Path.Combine(job, "app_server/config.json"), server.ToJsonString());
        File.WriteAllText(Path.Combine(job, "app_site/config.json"), site.ToJsonString());
        return job;
    }

    [Fact]
    public void AGoodJobLoads()
    {
        using var folder = new TemporaryDirectory();
        var job = JobDefinition.Load(Job(folder, (_, _, _) => { }));
        Assert.Equal(["site-1", "site-2", "site-3"], job.Meta.Sites);
        Assert.Equal(2, job.Server.NumRounds);
    }

    public static TheoryData<string, Action<JsonObject, JsonObject, JsonObject>, string> BadJobs => new()
    {
        { "unknown server key", (_, s, _) => s["num_round"] = 3, "app_server/config.json: invalid" },
        { "unknown site key", (_, _, s) => s["trian"] = "x", "app_site/config.json: invalid" },
        { "wrong type", (_, s, _) => s["num_rounds"] = "many", "app_server/config.json: invalid at $.num_rounds" },
        { "missing sites", (m, _, _) => m.Remove("sites"), "meta.json: invalid" },
        { "no sites", (m, _, _) => m["sites"] = new JsonArray(), "meta.json: sites is empty" },
        { "a site twice", (m, _, _) => m["sites"] = new JsonArray("site-1", "site-1"), "a site is listed twice" },
        { "unsafe site name", (m, _, _) => m["sites"] = new JsonArray("../etc"), "site name \"../etc\" is not valid" },
        { "min_clients above the sites", (_, s, _) => s["min_clients"] = 4, "min_clients must be between 1 and the job's 3 sites" },
        { "no rounds", (_, s, _) => s["num_rounds"] = 0, "num_rounds must be ≥ 1" },
        { "unknown strategy", (_, s, _) => s["strategy"] = "fedprox", "strategy \"fedprox\" is unknown" },
        { "multi-Krum on too few sites", (_, s, _) => s["strategy"] = "multi_krum", "multi_krum with byzantine_sites 1 needs min_clients ≥ 5" },
        { "trimming more than there is", (_, s, _) => { s["strategy"] = "trimmed_mean"; s["byzantine_sites"] = 2; }, "trimmed_mean with byzantine_sites 2 needs min_clients ≥ 5" },
        { "a server optimizer without a step", (_, s, _) => { s["strategy"] = "fedadam"; s["server_learning_rate"] = 0; }, "server_learning_rate must be > 0" },
        { "momentum of one", (_, s, _) => { s["strategy"] = "fedavgm"; s["server_momentum"] = 1; }, "server_momentum must be in [0, 1)" },
        { "no sites drawn", (_, s, _) => s["fraction_train"] = 0, "fraction_train must be in (0, 1]" },
        { "a robust strategy with secure aggregation", (_, s, _) => { s["strategy"] = "median"; s["secure_aggregation"] = true; }, "strategy median needs each update" },
        { "missing train file", (_, _, s) => s.Remove("train"), "app_site/config.json: invalid" },
        { "bad template", (_, _, s) => s["tuning"]!["template"]!["virtual_token_splits"] = new JsonArray(3), "sum to 3, not total_virtual_tokens 4" },
    };

    [Theory]
    [MemberData(nameof(BadJobs))]
    public void ABadJobIsRefusedNamingTheFileAndProblem(string what, Action<JsonObject, JsonObject, JsonObject> edit, string problem)
    {
        using var folder = new TemporaryDirectory();
        var error = Assert.ThrowsAny<Exception>(() => JobDefinition.Load(Job(folder, edit)));
        Assert.True(error is InvalidDataException, $"{what}: {error.GetType().Name}: {error.Message}");
        Assert.Contains(problem, error.Message.Replace('\\', '/'));
    }

    [Fact]
    public void AJobFolderWithoutItsAppsIsRefused()
    {
        using var folder = new TemporaryDirectory();
        var job = Job(folder, (_, _, _) => { });
        Directory.Delete(Path.Combine(job, "app_site"), recursive: true);
        var error = Assert.Throws<FileNotFoundException>(() => JobDefinition.Load(job));
        Assert.Contains("app_site", error.Message);
    }
}
