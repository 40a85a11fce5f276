using System.Text.Json;

namespace FedPrompt.Cli.Tests;

/// <summary>The README's first command in its quick mode, on the bundled model and data, as CI runs it.
/// It runs alone: it keeps both cores busy for minutes, which would starve the timing-sensitive
/// deployment and crash tests (heartbeats, timeouts) running beside it.</summary>
[Collection(nameof(RunsAlone))]
public class ExperimentTests
{
    [Fact]
    public void TheQuickExperimentWritesTheReport()
    {
        using var folder = new FedPrompt.Testing.TemporaryDirectory();
        var (exit, output, error) = FedPromptProcess.Run(TimeSpan.FromMinutes(20), "experiment", "--quick", "--out", folder.Path);
        Assert.True(exit == 0, error + output);

        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "report.json"))).RootElement;
        Assert.True(report.GetProperty("quick").GetBoolean());
        var families = report.GetProperty("families").EnumerateArray().ToList();
        Assert.Equal(["fpb_fedavg_deep", "fpb_fedavg_mlp", "fpb_fedavg_lora"], families.Select(f => f.GetProperty("family").GetString()));
        foreach (var family in families)
        {
            var runs = family.GetProperty("runs").EnumerateArray().ToList();
            Assert.Equal(["site-1 alone", "site-2 alone", "site-3 alone", "FedAvg", "centralised"], runs.Select(r => r.GetProperty("name").GetString()));
            foreach (var run in runs)
            {
                var test = run.GetProperty("test");
                Assert.Equal(227, test.GetProperty("examples").GetInt32());
                Assert.InRange(test.GetProperty("accuracy").GetDouble(), 0, 1);
                var curve = run.GetProperty("curve").EnumerateArray().Select(p => p.GetProperty("validation_loss").GetDouble()).ToList();
                Assert.Equal(2, curve.Count);
                Assert.True(curve[1] < curve[0], $"{run.GetProperty("name").GetString()}: validation loss {curve[0]:F4} → {curve[1]:F4}");
            }
            // Three equal sites: the centralised run's schedule spans three sites' data.
            Assert.InRange(family.GetProperty("centralised_schedule_scale").GetDouble(), 2.99, 3.01);
            var name = family.GetProperty("family").GetString()!;
            Assert.True(new FileInfo(Path.Combine(folder.Path, name, "val_loss.png")).Length > 1000);
            Assert.True(new FileInfo(Path.Combine(folder.Path, name, "val_loss.svg")).Length > 1000);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(folder.Path, name), "events.out.tfevents.*", SearchOption.AllDirectories));
        }
        Assert.Contains("| FedAvg |", File.ReadAllText(Path.Combine(folder.Path, "report.md")));
        // The data the experiment prepared is NeMo's split.
        Assert.Equal(227, File.ReadAllLines(Path.Combine(folder.Path, "data", "financial_phrase_bank_test.jsonl")).Length);
    }
}
