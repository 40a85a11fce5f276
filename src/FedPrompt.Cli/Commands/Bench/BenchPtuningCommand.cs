using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using FedPrompt.Formats;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Model.Native;
using FedPrompt.Tuning;
using FedPrompt.Tuning.Data;
using FedPrompt.Tuning.Encoders;
using FedPrompt.Tuning.Templates;
using FedPrompt.Tuning.Training;
using Spectre.Console.Cli;
using TorchSharp;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>
/// The p-tuning train step at the 345M shape (random frozen weights, NeMo's template and mlp
/// encoder, real Financial PhraseBank sentences, micro-batch 4, one optimizer step per micro-batch),
/// run through the real trainer. --dump writes the examples for tools/bench_ptuning.py, which times
/// NeMo's way (logits everywhere, then masked) and this one (logits only at the loss positions).
/// </summary>
public sealed class BenchPtuningCommand : Command<BenchPtuningCommand.Settings>
{
    public sealed class Settings : BenchShapeSettings
    {
        [CommandOption("--steps <N>")] [Description("Timed steps after 2 warm-up steps (default 10)")] [Range(1, int.MaxValue)] public int Steps { get; init; } = 10;
        [CommandOption("--micro-batch <N>")] [Description("Sentences per step (default 4)")] [Range(1, int.MaxValue)] public int MicroBatch { get; init; } = 4;
        [CommandOption("--dump <FILE>")] [Description("Write the examples (token ids, answer starts) as JSON to this file (default: none)")] public string? Dump { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchNative.EnsureLoaded();
        torch.set_num_threads(settings.Threads);
        // The sentences are tokenized by GPT-2's BPE, so a smaller vocabulary grows to hold its ids (the LM head
        // runs only at the answer positions, so this costs next to nothing).
        var config = settings.ModelConfig(null, 1024);
        if (config.VocabSize < 50257) config = config with { VocabSize = 50257 };
        var precision = settings.ResolvedPrecision;
        double peak = LinearPeak.GigaflopsPerSecond(precision.ScalarType());
        using var model = LanguageModel.Create(config, TextTokenizer.Gpt2(), seed: 0, precision);
        model.Network.Freeze();
        model.Network.eval();

        var records = FinancialPhraseBankPreparer.ReadExamples(BundledFiles.Data(Path.Combine("financial_phrasebank", "Sentences_AllAgree.txt")));
        var formatter = new PromptFormatter(TaskTemplate.FinancialPhraseBank, model.Tokenizer, virtualTokensAtInput: true, config.Positions);
        int count = settings.MicroBatch * (settings.Steps + 2);
        var examples = formatter.FormatForTraining(records.Take(count).ToList(), "Sentences_AllAgree.txt").Examples;
        var (warmUp, measured) = (examples[..(2 * settings.MicroBatch)], examples[(2 * settings.MicroBatch)..]);

        var prompted = new PromptedModel(model, PromptEncoder.Create(new PromptEncoderSettings(), model));
        var options = new TrainingOptions { GlobalBatchSize = settings.MicroBatch, MicroBatchSize = settings.MicroBatch, WarmupSteps = 0 };
        var trainer = new PromptTrainer(prompted, options);
        // The trainer's own shuffles, so that the dump gives PyTorch the very micro-batches (and padding) timed here.
        var inOrder = trainer.OrderOfEpoch(0, warmUp.Count).Select(i => warmUp[i])
            .Concat(trainer.OrderOfEpoch(1, measured.Count).Select(i => measured[i])).ToList();
        if (settings.Dump is { } dump)
            AtomicFile.WriteAllText(dump, JsonSerializer.Serialize(new
            {
                virtual_tokens = 10,
                micro_batch = settings.MicroBatch,
                examples = inOrder.Select(e => new { tokens = e.Tokens, answer_start = e.AnswerStart }),
            }));
        // The frozen GPT's linear layers, forward and backward to their inputs, over the positions the
        // timed micro-batches compute (padding and each example's last token are not: RowPrefixes).
        var timedBatches = inOrder.Skip(warmUp.Count).Chunk(settings.MicroBatch).ToList();
        long paddedTokens = timedBatches.Sum(batch => (long)batch.Length * batch.Max(e => e.Length));
        long computedTokens = timedBatches.Sum(batch =>
        {
            using var prompts = PromptBatch.Create(batch, model.Tokenizer.EndOfTextId);
            return prompts.LossReads.Index.numel();
        });
        double linearFlops = 2.0 * 2.0 * config.LayerMatrixWeights * config.Layers * computedTokens;

        trainer.TrainEpoch(warmUp);
        var timed = trainer.TrainEpoch(measured);
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            impl = "fedprompt",
            mode = "gathered",
            threads = settings.Threads,
            examples_per_s = Math.Round(timed.Examples / timed.Seconds, 3),
            ms_per_step = Math.Round(timed.Seconds * 1000 / timed.Steps, 1),
            peak_rss_mb = Math.Round(PeakMemory.Mebibytes(), 1),
            precision = precision.Name(),
            weights_mb = Math.Round(model.Network.WeightBytes / 1048576.0, 1),
            encoder_parameters = prompted.Encoder.ParameterCount,
            padded_tokens = paddedTokens,
            computed_tokens = computedTokens,
            linear_gflops = Math.Round(linearFlops / timed.Seconds / 1e9, 1),
            linear_peak_gflops = Math.Round(peak, 1),
            fraction_of_peak = Math.Round(linearFlops / timed.Seconds / 1e9 / peak, 3),
        }));
        return 0;
    }
}
