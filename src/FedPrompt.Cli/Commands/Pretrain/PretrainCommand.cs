using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Formats.Settings;
using FedPrompt.Model.Native;
using FedPrompt.Model.Pretraining;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace FedPrompt.Cli.Commands.Pretrain;

/// <summary>Pretrains a GPT-2- or Llama-architecture model on Reuters-21578; rerunning with the same --out resumes.</summary>
public sealed class PretrainCommand : Command<PretrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--corpus <PATH>")] [Description("A Reuters-21578 folder (reut2-*.sgm or .sgm.gz), or plain UTF-8 text: a .txt/.txt.gz file or a folder of them; repeat for several, the first one's held-out part measuring the model (default: the repository's data/reuters21578)")]
        public string[] Corpus { get; init; } = [];
        [CommandOption("--out <DIR>", isRequired: true)] [Description("Output Hugging Face folder; holds a resumable checkpoint while training")]
        public string Out { get; init; } = "";
        [CommandOption("--from <MODEL>")] [Description("Continue from this model (Hugging Face folder or .nemo) with a fresh optimizer (default: random weights)")]
        public string? From { get; init; }
        [CommandOption("--architecture <A>")] [PretrainingDefault("gpt2 or llama (RoPE, RMSNorm, SwiGLU, grouped-query attention, tied embeddings)", nameof(PretrainingOptions.Architecture))]
        public string Architecture { get; init; } = new PretrainingOptions().Architecture;
        [CommandOption("--tokenizer <DIR>")] [Description("A folder whose tokenizer (tokenizer.json, tokenizer.model or vocab.json + merges.txt) the model is trained with and keeps (default: GPT-2's BPE)")]
        public string? Tokenizer { get; init; }
        [CommandOption("--kv-heads <N>")] [Description("llama: key/value heads, dividing --heads (default: one per head)")] [Range(1, int.MaxValue)]
        public int? KvHeads { get; init; }
        [CommandOption("--inner <N>")] [Description("llama: SwiGLU width (default: 8/3 of --hidden rounded up to 64)")] [Range(1, int.MaxValue)]
        public int? Inner { get; init; }
        [CommandOption("--rope-theta <T>")] [PretrainingDefault("llama: base of the rotary frequencies", nameof(PretrainingOptions.RopeTheta))] [Range(1.0, double.MaxValue)]
        public double RopeTheta { get; init; } = new PretrainingOptions().RopeTheta;
        [CommandOption("--layers <N>")] [PretrainingDefault("Transformer layers", nameof(PretrainingOptions.Layers))] [Range(1, int.MaxValue)]
        public int Layers { get; init; } = new PretrainingOptions().Layers;
        [CommandOption("--hidden <N>")] [PretrainingDefault("Hidden (embedding) width", nameof(PretrainingOptions.Embedding))] [Range(1, int.MaxValue)]
        public int Hidden { get; init; } = new PretrainingOptions().Embedding;
        [CommandOption("--heads <N>")] [PretrainingDefault("Attention heads; divides the hidden width", nameof(PretrainingOptions.Heads))] [Range(1, int.MaxValue)]
        public int Heads { get; init; } = new PretrainingOptions().Heads;
        [CommandOption("--positions <N>")] [PretrainingDefault("Longest input the model takes, in tokens", nameof(PretrainingOptions.Positions))] [Range(1, int.MaxValue)]
        public int Positions { get; init; } = new PretrainingOptions().Positions;
        [CommandOption("--seq <N>")] [PretrainingDefault("Training window, in tokens", nameof(PretrainingOptions.SequenceLength))] [Range(1, int.MaxValue)]
        public int Sequence { get; init; } = new PretrainingOptions().SequenceLength;
        [CommandOption("--batch <N>")] [PretrainingDefault("Windows per optimizer step", nameof(PretrainingOptions.BatchSize))] [Range(1, int.MaxValue)]
        public int Batch { get; init; } = new PretrainingOptions().BatchSize;
        [CommandOption("--steps <N>")] [PretrainingDefault("Optimizer steps; the cosine decay ends there", nameof(PretrainingOptions.Steps))] [Range(1, int.MaxValue)]
        public int Steps { get; init; } = new PretrainingOptions().Steps;
        [CommandOption("--lr <LR>")] [PretrainingDefault("Peak learning rate of AdamW", nameof(PretrainingOptions.LearningRate))] [Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
        public double LearningRate { get; init; } = new PretrainingOptions().LearningRate;
        [CommandOption("--min-lr <LR>")] [PretrainingDefault("Learning rate at the end of the cosine decay", nameof(PretrainingOptions.MinLearningRate))] [Range(0.0, double.MaxValue)]
        public double MinLearningRate { get; init; } = new PretrainingOptions().MinLearningRate;
        [CommandOption("--warmup <N>")] [PretrainingDefault("Optimizer steps of linear warmup", nameof(PretrainingOptions.WarmupSteps))] [Range(0, int.MaxValue)]
        public int Warmup { get; init; } = new PretrainingOptions().WarmupSteps;
        [CommandOption("--dropout <P>")] [PretrainingDefault("Dropout probability, at least 0 and below 1", nameof(PretrainingOptions.Dropout))] [Range(0.0, 1.0, MaximumIsExclusive = true)]
        public double Dropout { get; init; } = new PretrainingOptions().Dropout;
        [CommandOption("--eval-every <N>")] [PretrainingDefault("Measure the held-out loss every N steps", nameof(PretrainingOptions.EvaluateEvery))] [Range(1, int.MaxValue)]
        public int EvaluateEvery { get; init; } = new PretrainingOptions().EvaluateEvery;
        [CommandOption("--checkpoint-every <N>")] [PretrainingDefault("Write a resumable checkpoint every N steps", nameof(PretrainingOptions.CheckpointEvery))] [Range(1, int.MaxValue)]
        public int CheckpointEvery { get; init; } = new PretrainingOptions().CheckpointEvery;
        [CommandOption("--seed <N>")] [PretrainingDefault("Seed of the initial weights and the data order", nameof(PretrainingOptions.Seed))]
        public long Seed { get; init; } = new PretrainingOptions().Seed;
        [CommandOption("--pause-after <N>")] [Description("Stop after step N's checkpoint, the schedule still spanning --steps; rerun to go on (default: run to --steps)")]
        [Range(1, int.MaxValue)]
        public int? PauseAfter { get; init; }
        [CommandOption("--threads <N>")] [Description("Torch intra-op threads (default: all cores)")] [Range(1, int.MaxValue)] public int? Threads { get; init; }
        [CommandOption("--precision <P>")] [Description("The matrix products' type: auto, bf16 or fp32 (default auto: bf16 where this machine multiplies it clearly faster than fp32); weights and optimizer state stay fp32")]
        public string Precision { get; init; } = "auto";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchNative.EnsureLoaded();
        if (settings.Threads is { } threads) torch.set_num_threads(threads);
        var options = new PretrainingOptions
        {
            Architecture = settings.Architecture, Tokenizer = settings.Tokenizer, KvHeads = settings.KvHeads, Inner = settings.Inner, RopeTheta = settings.RopeTheta,
            Layers = settings.Layers, Embedding = settings.Hidden, Heads = settings.Heads, Positions = settings.Positions,
            SequenceLength = settings.Sequence, BatchSize = settings.Batch, Steps = settings.Steps,
            LearningRate = settings.LearningRate, MinLearningRate = settings.MinLearningRate, WarmupSteps = settings.Warmup,
            Dropout = settings.Dropout, EvaluateEvery = settings.EvaluateEvery, CheckpointEvery = settings.CheckpointEvery, Seed = settings.Seed,
            Precision = Precisions.Parse(settings.Precision, "--precision"),
        };
        IReadOnlyList<string> corpus = settings.Corpus.Length > 0 ? settings.Corpus : [BundledFiles.Data("reuters21578")];
        PretrainingResult result = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("pretraining", maxValue: options.Steps);
                var progress = new SynchronousProgress<PretrainingProgress>(p =>
                {
                    task.Value = p.Step;
                    task.Description = $"step {p.Step}/{p.Steps} loss {p.Loss:F3} lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s";
                    if (p.HeldOutLoss is { } heldOut)
                        AnsiConsole.MarkupLine($"step {p.Step}: held-out loss {heldOut:F4} (perplexity {Math.Exp(heldOut):F1}), {p.Tokens:N0} tokens");
                });
                result = new Pretrainer(options, settings.Out).Run(corpus, settings.From, progress, cancellationToken, settings.PauseAfter);
            });
        AnsiConsole.MarkupLine($"[green]{(result.Steps < options.Steps ? $"paused at step {result.Steps} of {options.Steps}, rerun to go on" : "done")}[/]: {result.Steps} steps, {result.TokensSeen:N0} tokens ({result.Epochs:F2} epochs), " +
            $"held-out loss {result.HeldOutLoss:F4}, perplexity {result.HeldOutPerplexity:F1}, {result.WallSeconds / 3600:F2} h → {Markup.Escape(settings.Out)}");
        if (result.HeldOutText is { } text)
            AnsiConsole.MarkupLine($"every held-out document of the first corpus: {text.LossPerToken:F4} per token, {text.BitsPerByte:F4} bits per byte ({text.Tokens:N0} tokens, {text.Bytes:N0} bytes)");
        return 0;
    }
}
