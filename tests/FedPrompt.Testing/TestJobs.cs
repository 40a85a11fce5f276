using System.Text.Json.Nodes;

namespace FedPrompt.Testing;

/// <summary>Small federated jobs on the synthetic task: site files of different sizes, a shared validation file.</summary>
public static class TestJobs
{
    /// <summary>Writes site-1.jsonl … into <paramref name="data"/> (site i has 16·(i+1) examples) and val.jsonl.</summary>
    public static void WriteData(string data, int sites)
    {
        Directory.CreateDirectory(data);
        using var folder = new TemporaryDirectory();
        for (int i = 1; i <= sites; i++)
            File.Copy(SyntheticTask.Write(folder, $"site-{i}.jsonl", 16 * (i + 1), seed: 10 + i), Path.Combine(data, $"site-{i}.jsonl"));
        File.Copy(SyntheticTask.Write(folder, "val.jsonl", 24, seed: 99), Path.Combine(data, "val.jsonl"));
    }

    public static JsonObject Tuning(string encoder = "mlp") => new()
    {
        ["template"] = new JsonObject
        {
            ["taskname"] = "sentiment",
            ["prompt_template"] = "<|VIRTUAL_PROMPT_0|> {sentence}{label}",
            ["total_virtual_tokens"] = 4,
            ["virtual_token_splits"] = new JsonArray(4),
            ["answer_field"] = "label",
            ["add_eos"] = false,
        },
        ["encoder"] = new JsonObject { ["type"] = encoder, ["virtual_tokens"] = 4, ["hidden_size"] = 16 },
        ["training"] = new JsonObject { ["learning_rate"] = 0.01, ["warmup_steps"] = 0, ["global_batch_size"] = 16, ["micro_batch_size"] = 8 },
        ["epochs"] = 1,
    };

    /// <summary>A job folder: meta.json, app_server/config.json, app_site/config.json.</summary>
    public static string Write(string folder, int sites, int rounds, int minClients, JsonObject? server = null, JsonObject? tuning = null, string name = "synthetic")
    {
        Directory.CreateDirectory(Path.Combine(folder, "app_server"));
        Directory.CreateDirectory(Path.Combine(folder, "app_site"));
        var meta = new JsonObject { ["name"] = name, ["sites"] = new JsonArray(Enumerable.Range(1, sites).Select(i => (JsonNode)$"site-{i}").ToArray()) };
        File.WriteAllText(Path.Combine(folder, "meta.json"), meta.ToJsonString());
        server ??= new JsonObject();
        server["num_rounds"] = rounds;
        server["min_clients"] = minClients;
        if (!server.ContainsKey("wait_time_after_min_received")) server["wait_time_after_min_received"] = 0;
        File.WriteAllText(Path.Combine(folder, "app_server", "config.json"), server.ToJsonString());
        var site = new JsonObject { ["train"] = "{site}.jsonl", ["validation"] = "val.jsonl", ["tuning"] = tuning ?? Tuning() };
        File.WriteAllText(Path.Combine(folder, "app_site", "config.json"), site.ToJsonString());
        return folder;
    }
}
