using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Cli.Commands.Model;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Formats.Settings;
using Spectre.Console;
using Microsoft.Extensions.Logging;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>Runs a job's server and all its sites in this process, on one shared frozen model.</summary>
public sealed class SimulateCommand : Command<SimulateCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--log-level <LEVEL>")] [Description(Logs.LevelDescription)] public LogLevel LogLevel { get; init; } = LogLevel.Information;
        [CommandOption("--job <DIR>", isRequired: true)] [Description("Job folder (meta.json, app_server/, app_site/)")] public string Job { get; init; } = "";
        [CommandOption("--workspace <DIR>")] [Description("Where the server keeps the job's models and metrics (default: ./workspace)")] public string Workspace { get; init; } = "workspace";
        [CommandOption("--sites <N>")] [Description("Run on site-1 … site-N instead of the job's sites (default: the job's)")] [Range(1, int.MaxValue)] public int? Sites { get; init; }
        [CommandOption("--json")] [Description("Print a JSON summary of the finished job on stdout; progress goes to stderr (default: a summary for people)")] public bool Json { get; init; }
        [CommandOption("--data <DIR>")] [Description("Folder the sites' data paths are relative to (default: current folder)")] public string Data { get; init; } = ".";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var model = settings.LoadModel(FedPrompt.Federation.Jobs.JobDefinition.Load(settings.Job).Site.Tuning.Precision);
        using var logs = Logs.Console(settings.LogLevel, toStandardError: settings.Json);
        var options = new SimulationOptions { JobFolder = settings.Job, Workspace = settings.Workspace, DataFolder = settings.Data, Sites = settings.Sites };
        var (state, store) = Simulator.RunAsync(options, model, logs, cancel: cancellationToken).GetAwaiter().GetResult();
        if (settings.Json)
        {
            ScriptJson.Write(new
            {
                job_id = state.JobId,
                status = state.Status,
                message = state.Message,
                best_validation_loss = state.BestLoss,
                best_round = state.BestRound >= 0 ? state.BestRound : (int?)null,
                rounds = state.Rounds.Select(r => new
                {
                    round = r.Round, kind = r.Kind, sites = r.Sites.Select(s => s.Site), validation_loss = r.ValidationLoss, validation_accuracy = r.ValidationAccuracy,
                }),
                best_model = Path.GetFullPath(Path.Combine(store.Folder, JobStore.BestArtefactFile)),
                global_model = Path.GetFullPath(Path.Combine(store.Folder, JobStore.GlobalArtefactFile)),
                metrics = Path.GetFullPath(store.MetricsPath),
            });
            return state.Status == JobStatuses.Finished ? 0 : 1;
        }
        AnsiConsole.MarkupLine(state.Status == JobStatuses.Finished
            ? $"[green]job {Markup.Escape(state.JobId)} finished[/]: " + (state.BestLoss is { } best
                ? $"best validation loss {best:F4}, the global model of round {state.BestRound}"
                : "no round's global model had a validation loss, so there is no best model")
            : $"[red]job {Markup.Escape(state.JobId)} {state.Status}[/]: {Markup.Escape(state.Message ?? "")}");
        AnsiConsole.MarkupLine($"models: {Markup.Escape(Path.Combine(store.Folder, JobStore.BestArtefactFile))} (best), {Markup.Escape(Path.Combine(store.Folder, JobStore.GlobalArtefactFile))} (last); metrics: {Markup.Escape(store.MetricsPath)}");
        return state.Status == JobStatuses.Finished ? 0 : 1;
    }
}
