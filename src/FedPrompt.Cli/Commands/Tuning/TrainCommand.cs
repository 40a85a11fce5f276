using System.ComponentModel.DataAnnotations;
using System.ComponentModel;
using FedPrompt.Cli.Commands.Model;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Tuning.Templates;
using FedPrompt.Tuning.Training;
using FedPrompt.Tuning;
using Spectre.Console.Cli;
using Spectre.Console;

namespace FedPrompt.Cli.Commands.Tuning;

/// <summary>P-tunes a prompt encoder on one site's data (also the reference's local-only baseline).</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--train <FILE>", isRequired: true)] [Description("Training JSONL")] public string Train { get; init; } = "";
        [CommandOption("--validation <FILE>", isRequired: true)] [Description("Validation JSONL; its labels are the task's answers unless the settings declare them")] public string Validation { get; init; } = "";
        [CommandOption("--out <DIR>", isRequired: true)] [Description("Where encoder.safetensors, best.safetensors, metrics.jsonl and checkpoint.safetensors go; a folder already holding a run is refused unless --overwrite or --resume")] public string Out { get; init; } = "";
        [CommandOption("--overwrite")] [Description("Delete the run already in --out (its encoders, metrics and checkpoint) and start afresh (default: off)")]
        public bool Overwrite { get; init; }
        [CommandOption("--resume")] [Description("Continue the interrupted run in --out from its checkpoint (written after each epoch and on Ctrl-C) to the result it would have had; give the options it was started with (--epochs may differ) (default: off)")]
        public bool Resume { get; init; }
        [CommandOption("--settings <FILE>")] [Description("Tuning settings JSON (template, encoder, training, epochs, answers); flags override it (default: the reference's settings)")] public string? SettingsFile { get; init; }
        [CommandOption("--template <FILE>")] [Description("A NeMo task template JSON (default: the Financial PhraseBank sentiment template)")] public string? Template { get; init; }
        [CommandOption("--encoder-type <TYPE>")] [Description("What trains: mlp (default), lstm or embedding prompt encoders, deep prompts, or lora adapters")] public string? EncoderType { get; init; }
        [CommandOption("--virtual-tokens <N>")] [Description("Virtual tokens the encoder learns (default 10, or the template's total_virtual_tokens)")] [Range(1, int.MaxValue)]
        public int? VirtualTokens { get; init; }
        [CommandOption("--hidden-size <N>")] [Description("Width of the mlp/lstm encoder's hidden layer (default 2048)")] [Range(1, int.MaxValue)]
        public int? HiddenSize { get; init; }
        [CommandOption("--lora-rank <R>")] [Description("LoRA: rank of each adapter (default 8)")] [Range(1, int.MaxValue)]
        public int? LoraRank { get; init; }
        [CommandOption("--lora-alpha <A>")] [Description("LoRA: the adapters are scaled by alpha / rank (default 16)")] [Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
        public double? LoraAlpha { get; init; }
        [CommandOption("--lora-dropout <P>")] [Description("LoRA: dropout on the adapters' input while training, at least 0 and below 1 (default 0.05)")] [Range(0.0, 1.0, MaximumIsExclusive = true)]
        public double? LoraDropout { get; init; }
        [CommandOption("--lora-targets <LIST>")] [Description("LoRA: the linear layers adapted, comma-separated: attention (default), mlp, all, or module names (q_proj, c_attn)")]
        public string? LoraTargets { get; init; }
        [CommandOption("--lora-freeze-a")] [Description("LoRA: keep A at its seeded initialisation and train B only (FFA-LoRA) (default: off)")]
        public bool LoraFreezeA { get; init; }
        [CommandOption("--epochs <N>")] [Description("Passes over the training data (default 1); max_steps may end the run sooner")] [Range(1, int.MaxValue)]
        public int? Epochs { get; init; }
        [CommandOption("--lr <LR>")] [Description("Peak learning rate of AdamW, reached after the warmup (default 1e-4)")] [Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
        public double? LearningRate { get; init; }
        [CommandOption("--warmup <N>")] [Description("Optimizer steps of linear warmup, fewer than the run's steps (default 50)")] [Range(0, int.MaxValue)]
        public int? Warmup { get; init; }
        [CommandOption("--max-steps <N>")] [Description("Optimizer steps after which training stops; the cosine decay ends there (default 3750)")] [Range(1, int.MaxValue)]
        public int? MaxSteps { get; init; }
        [CommandOption("--global-batch <N>")] [Description("Examples per optimizer step (default 64)")] [Range(1, int.MaxValue)]
        public int? GlobalBatch { get; init; }
        [CommandOption("--micro-batch <N>")] [Description("Examples per forward pass; divides the global batch (default 4)")] [Range(1, int.MaxValue)]
        public int? MicroBatch { get; init; }
        [CommandOption("--seed <N>")] [Description("Seed of the encoder's initial weights and the data order (default 1234)")]
        public long? Seed { get; init; }

        public ExistingRun ExistingRun => Resume ? ExistingRun.Resume : Overwrite ? ExistingRun.Overwrite : ExistingRun.Refuse;

        public override Spectre.Console.ValidationResult Validate() => Overwrite && Resume
            ? Spectre.Console.ValidationResult.Error("--overwrite and --resume exclude each other: --overwrite starts the run in --out afresh, --resume continues it")
            : base.Validate();

        /// <summary>The settings file (or the reference's defaults) with the flags applied.</summary>
        public TuningSettings TuningSettings()
        {
            var settings = SettingsFile is null ? new TuningSettings() : FedPrompt.Formats.Settings.TuningSettings.Load(SettingsFile);
            var template = Template is null ? settings.Template : TaskTemplate.Load(Template);
            var encoder = settings.Encoder with
            {
                Type = EncoderType is null ? settings.Encoder.Type : ParseEncoderType(EncoderType),
                VirtualTokens = VirtualTokens ?? (Template is null ? settings.Encoder.VirtualTokens : template.TotalVirtualTokens),
                HiddenSize = HiddenSize ?? settings.Encoder.HiddenSize,
                LoraRank = LoraRank ?? settings.Encoder.LoraRank,
                LoraAlpha = LoraAlpha ?? settings.Encoder.LoraAlpha,
                LoraDropout = LoraDropout ?? settings.Encoder.LoraDropout,
                LoraTargets = LoraTargets ?? settings.Encoder.LoraTargets,
                LoraFreezeA = LoraFreezeA || settings.Encoder.LoraFreezeA,
                Seed = Seed ?? settings.Encoder.Seed,
            };
            var training = settings.Training with
            {
                LearningRate = LearningRate ?? settings.Training.LearningRate,
                WarmupSteps = Warmup ?? settings.Training.WarmupSteps,
                MaxSteps = MaxSteps ?? settings.Training.MaxSteps,
                GlobalBatchSize = GlobalBatch ?? settings.Training.GlobalBatchSize,
                MicroBatchSize = MicroBatch ?? settings.Training.MicroBatchSize,
                Seed = Seed ?? settings.Training.Seed,
            };
            return (settings with { Template = template, Encoder = encoder, Training = training, Epochs = Epochs ?? settings.Epochs })
                .Validated(SettingsFile ?? "command line");
        }

        static PromptEncoderType ParseEncoderType(string name) => name.ToLowerInvariant() switch
        {
            "mlp" => PromptEncoderType.Mlp,
            "lstm" => PromptEncoderType.Lstm,
            "embedding" => PromptEncoderType.Embedding,
            "deep" => PromptEncoderType.Deep,
            "lora" => PromptEncoderType.Lora,
            _ => throw new ArgumentException($"--encoder-type {name}: expected mlp, lstm, embedding, deep or lora"),
        };
    }

    /// <summary>The exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    const int Interrupted = 130;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var tuning = settings.TuningSettings();
        // Checked again when training starts; here it fails before the model takes seconds to load.
        new RunFolder(settings.Out).Check(settings.ExistingRun);
        using var model = settings.LoadModel(tuning.Precision);
        var session = TuningSession.Create(model, tuning, settings.Train, settings.Validation);
        AnsiConsole.MarkupLine($"{Markup.Escape(tuning.Encoder.Describe())}, {session.Model.Encoder.Trainable().Sum(p => p.Parameter.numel()):N0} trainable parameters on a frozen {Markup.Escape(model.Config.Describe())}, computed in {Markup.Escape(model.RequestedPrecision.Describe())}");
        Report("training", session.TrainReport);
        Report("validation", session.ValidationReport);
        var run = LocalTraining.Start(session, tuning.Epochs, settings.Out, settings.ExistingRun);
        if (run.ResumedFrom is { } from)
            AnsiConsole.MarkupLine(from.Step >= run.TotalSteps || from.EpochsDone >= tuning.Epochs
                ? $"the run in {Markup.Escape(settings.Out)} is complete at step {from.Step}, epoch {from.EpochsDone}: nothing left to train"
                : $"resuming at step {from.Step} of {run.TotalSteps}: epoch {from.EpochsDone + 1}, its step {from.StepInEpoch}");

        using var stop = Shutdown.OnSignal(cancellationToken);
        LocalTrainingResult result = null!;
        try
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: run.TotalSteps);
                    task.Value = session.Trainer.Step;
                    var progress = new SynchronousProgress<TrainingProgress>(p =>
                    {
                        task.Value = p.Step;
                        task.Description = $"epoch {p.Epoch}/{tuning.Epochs} step {p.StepInEpoch}/{p.StepsThisEpoch} loss {p.Loss:F4} {p.ExamplesPerSecond:F1} ex/s";
                    });
                    result = run.Run(progress, m => AnsiConsole.MarkupLine($"epoch {m.Epoch}: train loss {m.TrainLoss:F4}, validation loss {m.ValidationLoss:F4}"), stop.Token);
                });
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            AnsiConsole.MarkupLine($"interrupted at step {session.Trainer.Step} of {run.TotalSteps}; checkpoint in {Markup.Escape(settings.Out)}: the same command with --resume continues it");
            return Interrupted;
        }
        if (result.Epochs.Count < tuning.Epochs)
            AnsiConsole.MarkupLine($"stopped at max_steps {tuning.Training.MaxSteps}, in epoch {result.Epochs.Count} of {tuning.Epochs}");
        AnsiConsole.MarkupLine(result.BestValidationLoss is { } best
            ? $"best validation loss {best:F4} at epoch {result.BestEpoch} → {Markup.Escape(result.BestEncoder)}; last → {Markup.Escape(result.FinalEncoder)}"
            : $"no epoch had a finite validation loss, so there is no best encoder; last → {Markup.Escape(result.FinalEncoder)}");
        return 0;
    }

    static void Report(string what, FormattingReport report)
    {
        var notes = new List<string>();
        if (report.Truncated > 0) notes.Add($"{report.Truncated} truncated");
        if (report.Dropped > 0) notes.Add($"{report.Dropped} dropped as too long");
        AnsiConsole.MarkupLine($"{what}: {report.Kept} examples{(notes.Count > 0 ? " (" + string.Join(", ", notes) + ")" : "")}");
    }
}
