using System.Globalization;
using System.Text;
using System.Text.Json;
using FedPrompt.Formats;

namespace FedPrompt.Cli.Experiments;

/// <summary>report.json, report.md (the tables) and, per family, val_loss.png/.svg like the reference's plot.</summary>
public static class ExperimentReportWriter
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static void Write(ExperimentReport report, string folder)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(report, Json));
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), Markdown(report));
        foreach (var family in report.Families) Plot(family, Path.Combine(folder, family.Family));
    }

    public static string Markdown(ExperimentReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# FedPrompt experiment{(report.Quick ? " (quick mode)" : "")}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{report.Date:yyyy-MM-dd}, {report.Machine}; {report.WallSeconds / 60:F1} minutes.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Model: {report.Model} — {report.ModelDescription}.");
        foreach (var family in report.Families)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## {family.Family}: `{family.Encoder}` ({family.EncoderParameters:N0} trainable parameters)");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"FedAvg {family.Rounds} rounds × {family.LocalEpochs / Math.Max(1, family.Rounds)} epoch; alone and centralised {family.LocalEpochs} epochs (the centralised run's warmup and max steps ×{family.CentralisedScheduleScale:F2}, as its data is that many sites'). Test file: {family.Runs[0].Test.Examples} examples, majority class {family.Runs[0].Test.MajorityBaseline:F3}.");
            text.AppendLine();
            text.AppendLine("| run | best validation loss (epoch/round) | final validation loss | test accuracy (label scoring) | test exact match (greedy) |");
            text.AppendLine("|---|---|---|---|---|");
            foreach (var run in family.Runs)
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {run.Name} | {run.BestValidationLoss:F4} ({run.BestStep}) | {run.FinalValidationLoss:F4} | {run.Test.Accuracy:F3} | {(run.Test.ExactMatch is { } em ? em.ToString("F3", CultureInfo.InvariantCulture) : "—")} |");
            text.AppendLine(CultureInfo.InvariantCulture, $"| majority class | | | {family.Runs[0].Test.MajorityBaseline:F3} | |");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![validation loss]({family.Family}/val_loss.png)");
        }
        return text.ToString();
    }

    static void Plot(FamilyReport family, string folder)
    {
        Directory.CreateDirectory(folder);
        var plot = new ScottPlot.Plot();
        foreach (var run in family.Runs)
        {
            var line = plot.Add.Scatter(run.Curve.Select(p => (double)p.Step).ToArray(), run.Curve.Select(p => p.ValidationLoss).ToArray());
            line.LegendText = run.Kind == "fedavg" ? "FedAvg (global model)" : run.Name;
            line.LineWidth = run.Kind == "fedavg" ? 3 : 1.5f;
            if (run.Kind == "centralised") line.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plot.Title($"{family.Family}: validation loss");
        plot.XLabel("epoch (alone, centralised) / round (FedAvg, one epoch per round)");
        plot.YLabel("validation loss");
        // Validation curves fall, so the upper right is where they are not.
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(Path.Combine(folder, "val_loss.png"), 900, 560);
        plot.SaveSvg(Path.Combine(folder, "val_loss.svg"), 900, 560);
    }
}
