using System.ComponentModel;
using FedPrompt.Cli.Commands.Model;
using FedPrompt.Cli.Experiments;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands;

/// <summary>The flagship: the reference's local-only vs FedAvg (vs centralised) comparison on the bundled model and data.</summary>
public sealed class ExperimentCommand : Command<ExperimentCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--out <DIR>")] [Description("Where data, models, logs and the report go (default: ./experiment)")] public string Out { get; init; } = "experiment";
        [CommandOption("--job <DIR>")] [Description("A job folder defining a tuning family (repeatable; default: the bundled deep, mlp and lora jobs)")] public string[] Jobs { get; init; } = [];
        [CommandOption("--quick")] [Description("Two rounds instead of the jobs' num_rounds, for CI (default: off)")] public bool Quick { get; init; }
        [CommandOption("--log-level <LEVEL>")] [Description($"Least severe log lines shown: {Logs.Levels} (default warning: the experiment reports its own progress)")]
        public LogLevel LogLevel { get; init; } = LogLevel.Warning;
        [CommandOption("--no-generate")] [Description("Skip greedy-generation exact match on the test file (default: measured)")] public bool NoGenerate { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var model = settings.LoadModel();
        using var logs = Logs.Console(settings.LogLevel);
        var jobs = settings.Jobs.Length > 0 ? settings.Jobs : [BundledFiles.Jobs("fpb_fedavg_deep"), BundledFiles.Jobs("fpb_fedavg_mlp"), BundledFiles.Jobs("fpb_fedavg_lora")];
        var options = new ExperimentOptions { Output = settings.Out, Jobs = jobs, Quick = settings.Quick, Generate = !settings.NoGenerate };
        AnsiConsole.MarkupLine($"model: {Markup.Escape(model.Origin)} ({Markup.Escape(model.Config.Describe())})");
        var report = new ExperimentRunner(model, logs, line => AnsiConsole.MarkupLine(Markup.Escape(line))).Run(options, cancellationToken);
        ExperimentReportWriter.Write(report, settings.Out);
        Console.Out.WriteLine();
        Console.Out.Write(ExperimentReportWriter.Markdown(report));
        AnsiConsole.MarkupLine($"report: {Markup.Escape(Path.Combine(settings.Out, "report.md"))} (and report.json, <family>/val_loss.png/.svg, TensorBoard logs under each run)");
        return 0;
    }
}
