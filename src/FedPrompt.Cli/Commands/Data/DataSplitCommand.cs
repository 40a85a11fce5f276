using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Tuning.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Data;

/// <summary>NVFlare's client split (shuffle, then equal parts), or a label-skewed Dirichlet split.</summary>
public sealed class DataSplitCommand : Command<DataSplitCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--input <FILE>", isRequired: true)]
        [Description("The training JSONL to divide among sites")]
        public string Input { get; init; } = "";

        [CommandOption("--sites <N>")]
        [Description("Number of sites (default 3)")]
        [Range(1, int.MaxValue)]
        public int Sites { get; init; } = 3;

        [CommandOption("--out <DIR>", isRequired: true)]
        [Description("Where site-1.jsonl … site-N.jsonl go")]
        public string Out { get; init; } = "";

        [CommandOption("--seed <N>")]
        [Description("Shuffle seed (default 0, NVFlare's)")]
        public uint Seed { get; init; }

        [CommandOption("--dirichlet <ALPHA>")]
        [Description("Label-skewed split: each label's share per site drawn from Dirichlet(ALPHA), ALPHA above 0 (default: an even split)")]
        [Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
        public double? Dirichlet { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var split = SiteSplitter.Split(settings.Input, settings.Out, settings.Sites, settings.Seed, settings.Dirichlet);
        var labels = split.Sites.SelectMany(s => s.LabelCounts.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var table = new Table().AddColumn("site").AddColumn("records");
        foreach (var label in labels) table.AddColumn(Markup.Escape(label.Trim()));
        table.AddColumn("file");
        foreach (var site in split.Sites)
            table.AddRow([site.SiteName, site.RecordCount.ToString(), .. labels.Select(l => site.LabelCounts.GetValueOrDefault(l).ToString()), Markup.Escape(site.FilePath)]);
        AnsiConsole.MarkupLine(split.DirichletAlpha is { } alpha
            ? $"{split.RecordCount} records, Dirichlet(α = {alpha}) label split, seed {split.Seed}:"
            : $"{split.RecordCount} records, shuffled (seed {split.Seed}) and divided evenly:");
        AnsiConsole.Write(table);
        return 0;
    }
}
