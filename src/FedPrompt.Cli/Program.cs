using FedPrompt.Cli;
using FedPrompt.Cli.Commands;
using FedPrompt.Cli.Commands.Adapter;
using FedPrompt.Cli.Commands.Bench;
using FedPrompt.Cli.Commands.Data;
using FedPrompt.Cli.Commands.Federation;
using FedPrompt.Cli.Commands.Model;
using FedPrompt.Cli.Commands.Pretrain;
using FedPrompt.Cli.Commands.Tokenizer;
using FedPrompt.Cli.Commands.Tuning;
using Spectre.Console.Cli;

var commands = new CommandCatalog();
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("fedprompt");
    config.UseAssemblyInformationalVersion();
    config.PropagateExceptions();
    config.UseStrictParsing();
    commands.Add<ExperimentCommand>(config, "experiment", "The flagship: local-only vs FedAvg vs centralised on the bundled model and data, with a report");
    commands.Branch(config, "model", "Inspect and run a model (Hugging Face folder or .nemo)", model => model
        .Add<ModelInfoCommand>("info", "Architecture, parameter count, dtype, tokenizer")
        .Add<ModelConvertCommand>("convert", "Write a model as a Hugging Face folder (fp32, fp16 or bf16)")
        .Add<ModelScoreCommand>("score", "Per-token log-probabilities of a text, as JSON")
        .Add<ModelPerplexityCommand>("perplexity", "Held-out loss on Reuters-21578 per token and in bits per byte, as JSON"));
    commands.Branch(config, "data", "Prepare and divide the Financial PhraseBank task data", data => data
        .Add<DataPrepareCommand>("prepare", "NeMo's train/val/test split (byte-identical)")
        .Add<DataSplitCommand>("split", "Divide a training file among N sites (NVFlare's split, or Dirichlet label skew)"));
    commands.Branch(config, "bench", "Benchmarks (throughput and memory; compare with tools/bench_*.py)", bench => bench
        .Add<BenchEngineCommand>("engine", "Forward + backward to the input embeddings through a frozen GPT")
        .Add<BenchFederationCommand>("federation", "A round's federation overhead and the server's memory, with synthetic sites")
        .Add<BenchSimulatorCommand>("simulator", "The simulator's peak memory with N sites on one shared 345M-shaped model")
        .Add<BenchPtuningCommand>("ptuning", "The p-tuning train step (NeMo template, mlp encoder, real sentences)")
        .Add<BenchPretrainCommand>("pretrain", "The pretraining step (every weight, full-vocabulary loss, AdamW) on random tokens"));
    commands.Add<PretrainCommand>(config, "pretrain", "Pretrain a GPT-2-architecture model on Reuters-21578 (resumable)");
    commands.Branch(config, "tokenizer", "Train a byte-level BPE tokenizer for a model to pretrain", tokenizer => tokenizer
        .Add<TokenizerTrainCommand>("train", "Learn a vocabulary from a corpus; write it as a Hugging Face tokenizer.json in Llama 3's layout"));
    commands.Add<TrainCommand>(config, "train", "P-tune a prompt encoder on one site's data");
    commands.Add<EvalCommand>(config, "eval", "Evaluate a trained prompt encoder on a labelled JSONL file");
    commands.Add<PredictCommand>(config, "predict", "Answer new inputs with a trained prompt encoder");
    commands.Branch(config, "adapter", "LoRA adapters and the formats others read", adapter => adapter
        .Add<AdapterExportCommand>("export", "Write a trained LoRA adapter as a Hugging Face PEFT folder"));
    commands.Add<ProvisionCommand>(config, "provision", "Create a CA and startup kits for a server, its sites and admins");
    commands.Add<ServerCommand>(config, "server", "Run the federation server (mutual TLS) from its startup kit");
    commands.Add<SiteCommand>(config, "site", "Run a site from its startup kit");
    commands.Branch<AdminSettings>(config, "admin", "Administer a running server with an admin startup kit", admin => admin
        .Add<AdminSubmitCommand>("submit", "Submit a job folder")
        .Add<AdminListCommand>("list", "List the jobs")
        .Add<AdminStatusCommand>("status", "A job's status, sites and rounds (--follow: live until it ends)")
        .Add<AdminAbortCommand>("abort", "Abort a job")
        .Add<AdminSitesCommand>("sites", "The connected sites")
        .Add<AdminDownloadCommand>("download", "Fetch a job's encoders, metrics and report into a folder"));
    commands.Add<SimulateCommand>(config, "simulate", "Run a federated job's server and sites in one process, sharing one frozen model");
    commands.Add<GenerateCommand>(config, "generate", "Continue a prompt (greedy, or sampled with --temperature)");
});
return ErrorReporting.Run(() =>
{
    ArgumentCheck.Check(commands, args);
    return app.Run(args);
});
