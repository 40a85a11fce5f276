using System.Text.Json;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>Following a job and fetching its result through the admin API, as a script would: real
/// server and site processes over mutual TLS, stdout piped.</summary>
public class AdminCommandTests
{
    static readonly TimeSpan Short = Deployment.Short;

    [Fact]
    public async Task AFollowedJobEndsTheFollowAndItsResultDownloadsIntoAUsableFolder()
    {
        using var deployment = new Deployment(sites: 2);
        var server = deployment.Server();
        await server.WaitFor("listening", Short);
        deployment.Site("site-1");
        deployment.Site("site-2");
        var jobId = deployment.Submit(deployment.Job(rounds: 2, minClients: 2));
        string[] Admin(params string[] args) => ["admin", "--kit", deployment.Admin, .. args];

        var followed = FedPromptProcess.Ok(FedPromptProcess.Run(TimeSpan.FromMinutes(3), Admin("status", jobId, "--follow", "--interval", "0.2")));
        Assert.Contains($"{jobId} running", followed);
        Assert.Contains("site-1: connected", followed);
        Assert.Matches(@"round 0 closed \(site-1, site-2\): validation loss \d+\.\d{4}, accuracy \d\.\d{3}", followed);
        Assert.Contains("round 2 closed (site-1, site-2)", followed);
        Assert.Contains($"{jobId} finished 2/2", followed);

        var status = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Short, Admin("status", jobId, "--json")))).RootElement;
        Assert.Equal("finished", status.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal([0, 1, 2], status.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("round").GetInt32()));
        Assert.Equal(["site-1", "site-2"], status.GetProperty("sites").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        var list = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Short, Admin("list", "--json")))).RootElement;
        Assert.Equal(jobId, list.GetProperty("jobs")[0].GetProperty("job_id").GetString());
        var sites = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Short, Admin("sites", "--json")))).RootElement;
        Assert.All(sites.GetProperty("sites").EnumerateArray(), s => Assert.True(s.GetProperty("alive").GetBoolean()));
        // Piped, the table is tab-separated lines: the job id whole, in the first field.
        var table = FedPromptProcess.Ok(FedPromptProcess.Run(Short, Admin("list"))).Split('\n');
        Assert.Equal("job\tstatus\trounds\tbest validation loss\tsubmitted by\tmessage", table[0]);
        Assert.StartsWith($"{jobId}\tfinished\t2/2\t", table[1]);

        var result = Path.Combine(deployment.Folder.Path, "result");
        var written = FedPromptProcess.Ok(FedPromptProcess.Run(Short, Admin("download", jobId, "--out", result)));
        Assert.Equal(["best.safetensors", "global.safetensors", "metrics.jsonl", "state.json"], Directory.GetFiles(result).Select(Path.GetFileName).Order());
        Assert.Equal(File.ReadAllBytes(Path.Combine(deployment.Workspace, "jobs", jobId, "best.safetensors")), File.ReadAllBytes(Path.Combine(result, "best.safetensors")));
        Assert.Contains(Path.Combine(result, "state.json"), written);

        var (again, _, refusal) = FedPromptProcess.Run(Short, Admin("download", jobId, "--out", result));
        Assert.Equal(1, again);
        Assert.Contains($"error: --out {result} is not empty; give --overwrite", refusal);
        FedPromptProcess.Ok(FedPromptProcess.Run(Short, Admin("download", jobId, "--out", result, "--overwrite")));
        var (unknown, _, noJob) = FedPromptProcess.Run(Short, Admin("download", "no-such-job", "--out", Path.Combine(deployment.Folder.Path, "none")));
        Assert.Equal(1, unknown);
        Assert.Contains("no job no-such-job", noJob);
        Assert.False(Directory.Exists(Path.Combine(deployment.Folder.Path, "none")));

        // The downloaded best encoder is an artefact predict can use.
        var prediction = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Short, "predict", "--model", RepositoryFiles.Engine("tiny-gpt2"),
            "--prompt-encoder", Path.Combine(result, "best.safetensors"), "--sentence", "profits rose", "--max-new-tokens", "2", "--json"))).RootElement;
        Assert.Equal("profits rose", prediction.GetProperty("input").GetProperty("sentence").GetString());
        Assert.StartsWith("profits rose", prediction.GetProperty("prompt").GetString());
        Assert.Equal(JsonValueKind.String, prediction.GetProperty("answer").ValueKind);
    }
}
