using System.Text.Json;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>--json: stdout is exactly one JSON document a script can parse; progress stays on stderr.</summary>
public class JsonOutputTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void ModelInfoPrintsItsFactsAsJson()
    {
        var (exit, output, error) = FedPromptProcess.Run(Timeout, "model", "info", "--model", RepositoryFiles.Engine("tiny-gpt2-fp16"), "--json");

        Assert.True(exit == 0, error);
        var info = JsonDocument.Parse(output).RootElement;
        Assert.Contains("2 layers, 32 hidden, 4 heads", info.GetProperty("architecture").GetString());
        Assert.Equal(["F16"], info.GetProperty("stored_types").EnumerateArray().Select(t => t.GetString()));
        Assert.True(info.GetProperty("parameters").GetInt64() > 0);
    }

    [Fact]
    public void SimulatePrintsASummaryOnStdoutAndItsProgressOnStderr()
    {
        using var folder = new TemporaryDirectory();
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 2);
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 2, rounds: 2, minClients: 2);

        var (exit, output, error) = FedPromptProcess.Run(Timeout, "simulate", "--job", job, "--model", RepositoryFiles.Engine("tiny-gpt2"),
            "--data", data, "--workspace", Path.Combine(folder.Path, "workspace"), "--json");

        Assert.True(exit == 0, error);
        var summary = JsonDocument.Parse(output).RootElement;
        Assert.Equal("finished", summary.GetProperty("status").GetString());
        Assert.Equal([0, 1, 2], summary.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("round").GetInt32()));
        Assert.True(File.Exists(summary.GetProperty("best_model").GetString()));
        Assert.Contains("round 1 closed", error);
    }
}
