using FedPrompt.Cli;
using FedPrompt.Cli.Commands;
using FedPrompt.Cli.Commands.Bench;
using FedPrompt.Cli.Commands.Data;
using FedPrompt.Cli.Commands.Federation;
using FedPrompt.Cli.Commands.Model;
using FedPrompt.Cli.Commands.Pretrain;
using FedPrompt.Cli.Commands.Tuning;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("fedprompt");
    config.PropagateExceptions();
    config.AddCommand<ExperimentCommand>("experiment").WithDescription("The flagship: local-only vs FedAvg vs centralised on the bundled model and data, with a report");
    config.AddBranch("model", model =>
    {
        model.SetDescription("Inspect and run a GPT (Hugging Face folder or .nemo)");
        model.AddCommand<ModelInfoCommand>("info").WithDescription("Architecture, parameter count, dtype, tokenizer");
        model.AddCommand<ModelConvertCommand>("convert").WithDescription("Write a model as a Hugging Face folder (fp32, fp16 or bf16)");
        model.AddCommand<ModelScoreCommand>("score").WithDescription("Per-token log-probabilities of a text, as JSON");
    });
    config.AddBranch("data", data =>
    {
        data.SetDescription("Prepare and divide the Financial PhraseBank task data");
        data.AddCommand<DataPrepareCommand>("prepare").WithDescription("NeMo's train/val/test split (byte-identical)");
        data.AddCommand<DataSplitCommand>("split").WithDescription("Divide a training file among N sites (NVFlare's split, or Dirichlet label skew)");
    });
    config.AddBranch("bench", bench =>
    {
        bench.SetDescription("Benchmarks (throughput and memory; compare with tools/bench_*.py)");
        bench.AddCommand<BenchEngineCommand>("engine").WithDescription("Forward + backward to the input embeddings through a frozen GPT");
        bench.AddCommand<BenchFederationCommand>("federation").WithDescription("A round's federation overhead and the server's memory, with synthetic sites");
        bench.AddCommand<BenchSimulatorCommand>("simulator").WithDescription("The simulator's peak memory with N sites on one shared 345M-shaped model");
        bench.AddCommand<BenchPtuningCommand>("ptuning").WithDescription("The p-tuning train step (NeMo template, mlp encoder, real sentences)");
    });
    config.AddCommand<PretrainCommand>("pretrain").WithDescription("Pretrain a GPT-2-architecture model on Reuters-21578 (resumable)");
    config.AddCommand<TrainCommand>("train").WithDescription("P-tune a prompt encoder on one site's data");
    config.AddCommand<EvalCommand>("eval").WithDescription("Evaluate a trained prompt encoder on a labelled JSONL file");
    config.AddCommand<PredictCommand>("predict").WithDescription("Answer new inputs with a trained prompt encoder");
    config.AddCommand<ProvisionCommand>("provision").WithDescription("Create a CA and startup kits for a server, its sites and admins");
    config.AddCommand<ServerCommand>("server").WithDescription("Run the federation server (mutual TLS) from its startup kit");
    config.AddCommand<SiteCommand>("site").WithDescription("Run a site from its startup kit");
    config.AddBranch<AdminSettings>("admin", admin =>
    {
        admin.SetDescription("Administer a running server with an admin startup kit");
        admin.AddCommand<AdminSubmitCommand>("submit").WithDescription("Submit a job folder");
        admin.AddCommand<AdminListCommand>("list").WithDescription("List the jobs");
        admin.AddCommand<AdminStatusCommand>("status").WithDescription("A job's status and rounds");
        admin.AddCommand<AdminAbortCommand>("abort").WithDescription("Abort a job");
        admin.AddCommand<AdminSitesCommand>("sites").WithDescription("The connected sites");
    });
    config.AddCommand<SimulateCommand>("simulate").WithDescription("Run a federated job's server and sites in one process, sharing one frozen model");
    config.AddCommand<GenerateCommand>("generate").WithDescription("Continue a prompt (greedy, or sampled with --temperature)");
});
return ErrorReporting.Run(() => app.Run(args));
