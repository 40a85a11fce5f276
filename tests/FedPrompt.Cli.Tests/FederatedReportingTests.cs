using System.Text.RegularExpressions;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>What a federated job's log says: each site's own training loss and the global model's
/// validation loss on its data, named as such; every local epoch's loss; and "none yet", never
/// "round -1" or NaN, where there is no best model yet.</summary>
public class FederatedReportingTests
{
    [Fact]
    public void TheLogNamesEachSitesLossesAndSaysWhenThereIsNoBestModelYet()
    {
        using var folder = new TemporaryDirectory();
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 2);
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 2, rounds: 2, minClients: 2);
        var (exit, output, error) = FedPromptProcess.Run(TimeSpan.FromMinutes(3), "simulate", "--job", job, "--data", data,
            "--workspace", Path.Combine(folder.Path, "workspace"), "--model", RepositoryFiles.Engine("tiny-gpt2"));
        Assert.True(exit == 0, output + error);
        // Spectre.Console wraps its own lines of redirected output at 80 columns.
        var log = Regex.Replace(output, @"\s+", " ");

        Assert.Matches(@"site-1: job \S+, round 0: local epoch 1/1: training loss \d+\.\d{4} \(2 steps, ", log);
        Assert.Matches(@"round 1: accepted site-2's update: 3 local steps, the site's own training loss \d+\.\d{4}; the global model of round 1 on site-2's validation data: loss \d+\.\d{4}", log);
        Assert.Matches(@"round 0 closed: 2 site\(s\) \(site-1, site-2\); the global model of round 0 on their validation data: loss \d+\.\d{4}, accuracy \d\.\d{4}; no best model yet", log);
        Assert.Matches(@"round 1 closed: .*; best so far: validation loss \d+\.\d{4}, the global model of round 1", log);
        Assert.Matches(@"finished; best: validation loss \d+\.\d{4}, the global model of round [12]; models in", log);
        Assert.Matches(@"finished: best validation loss \d+\.\d{4}, the global model of round [12]", log);
        Assert.DoesNotContain("round -1", log);
        Assert.DoesNotContain("NaN", log);
        Assert.DoesNotContain("n/a", log);
    }
}
