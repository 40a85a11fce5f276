using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Formats;
using FedPrompt.Model;
using FedPrompt.Model.Native;
using FedPrompt.Tuning.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console.Cli;
using TorchSharp;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>
/// The simulator's memory: one round of the reference job (mlp encoder) with N sites on one frozen
/// GPT of the 345M shape (random weights) shared by all of them, a few real sentences per site.
/// Run it with --sites 1 and --sites 3 and compare peak memory: the model is held once.
/// </summary>
public sealed class BenchSimulatorCommand : Command<BenchSimulatorCommand.Settings>
{
    public sealed class Settings : BenchShapeSettings
    {
        [CommandOption("--sites <N>")] [Description("Simulated sites (default 3)")] [Range(1, int.MaxValue)] public int Sites { get; init; } = 3;
        [CommandOption("--examples <N>")] [Description("Training examples per site (default 16)")] [Range(1, int.MaxValue)] public int Examples { get; init; } = 16;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchNative.EnsureLoaded();
        torch.set_num_threads(settings.Threads);
        var folder = Directory.CreateTempSubdirectory("fedprompt-bench-").FullName;
        try
        {
            var config = settings.ModelConfig(50257, 1024);
            using var model = LanguageModel.Create(config, TextTokenizer.Gpt2(), seed: 0);
            model.Network.Freeze();
            model.Network.eval();

            var data = Path.Combine(folder, "data");
            var records = FinancialPhraseBankPreparer.ReadExamples(BundledFiles.Data(Path.Combine("financial_phrasebank", "Sentences_AllAgree.txt")));
            Directory.CreateDirectory(data);
            for (int site = 1; site <= settings.Sites; site++)
                File.WriteAllLines(Path.Combine(data, $"site-{site}.jsonl"), records.Skip((site - 1) * settings.Examples).Take(settings.Examples)
                    .Select(r => PythonJson.JsonDumps.EncodeObject(r.Fields)));
            File.WriteAllLines(Path.Combine(data, "val.jsonl"), records.TakeLast(8).Select(r => PythonJson.JsonDumps.EncodeObject(r.Fields)));

            var job = Path.Combine(folder, "job");
            Directory.CreateDirectory(Path.Combine(job, "app_server"));
            Directory.CreateDirectory(Path.Combine(job, "app_site"));
            File.WriteAllText(Path.Combine(job, "meta.json"), new JsonObject
            {
                ["name"] = "bench", ["sites"] = new JsonArray(Enumerable.Range(1, settings.Sites).Select(i => (JsonNode)$"site-{i}").ToArray()),
            }.ToJsonString());
            File.WriteAllText(Path.Combine(job, "app_server", "config.json"), new JsonObject { ["num_rounds"] = 1, ["min_clients"] = settings.Sites, ["wait_time_after_min_received"] = 0 }.ToJsonString());
            File.WriteAllText(Path.Combine(job, "app_site", "config.json"), new JsonObject
            {
                ["train"] = "{site}.jsonl", ["validation"] = "val.jsonl", ["validate_accuracy"] = false,
                ["tuning"] = new JsonObject { ["training"] = new JsonObject { ["global_batch_size"] = 8, ["micro_batch_size"] = 4 } },
            }.ToJsonString());

            var clock = Stopwatch.StartNew();
            var (state, _) = Simulator.RunAsync(new SimulationOptions { JobFolder = job, Workspace = Path.Combine(folder, "workspace"), DataFolder = data },
                model, NullLoggerFactory.Instance, cancel: cancellationToken).GetAwaiter().GetResult();
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                sites = settings.Sites,
                status = state.Status,
                seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
                peak_rss_mb = Math.Round(PeakMemory.Mebibytes(), 1),
                weights_mb = Math.Round(config.ParameterCount * 4 / 1048576.0, 1),
            }));
            return state.Status == JobStatuses.Finished ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
