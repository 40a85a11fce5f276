using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
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
        var config = new GptConfig { VocabSize = 50257, Positions = 1024, Embedding = settings.Hidden, Layers = settings.Layers, Heads = settings.Heads };
        using var model = LanguageModel.Create(config, GptTokenizer.Gpt2(), seed: 0);
        model.Network.Freeze();
        model.Network.eval();

        var records = FinancialPhraseBankPreparer.ReadExamples(BundledFiles.Data(Path.Combine("financial_phrasebank", "Sentences_AllAgree.txt")));
        var formatter = new PromptFormatter(TaskTemplate.FinancialPhraseBank, model.Tokenizer, virtualTokensAtInput: true, config.Positions);
        int count = settings.MicroBatch * (settings.Steps + 2);
        var examples = formatter.FormatForTraining(records.Take(count).ToList(), "Sentences_AllAgree.txt").Examples;
        if (settings.Dump is { } dump)
            AtomicFile.WriteAllText(dump, JsonSerializer.Serialize(new
            {
                virtual_tokens = 10,
                micro_batch = settings.MicroBatch,
                examples = examples.Select(e => new { tokens = e.Tokens, answer_start = e.AnswerStart }),
            }));

        var prompted = new PromptedModel(model, PromptEncoder.Create(new PromptEncoderSettings(), model));
        var options = new TrainingOptions { GlobalBatchSize = settings.MicroBatch, MicroBatchSize = settings.MicroBatch, WarmupSteps = 0 };
        var trainer = new PromptTrainer(prompted, options);
        trainer.TrainEpoch(examples[..(2 * settings.MicroBatch)]);
        var timed = trainer.TrainEpoch(examples[(2 * settings.MicroBatch)..]);
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            impl = "fedprompt",
            mode = "gathered",
            threads = settings.Threads,
            examples_per_s = Math.Round(timed.Examples / timed.Seconds, 3),
            ms_per_step = Math.Round(timed.Seconds * 1000 / timed.Steps, 1),
            peak_rss_mb = Math.Round(PeakMemory.Mebibytes(), 1),
            weights_mb = Math.Round(config.ParameterCount * 4 / 1048576.0, 1),
            encoder_parameters = prompted.Encoder.ParameterCount,
        }));
        return 0;
    }
}
