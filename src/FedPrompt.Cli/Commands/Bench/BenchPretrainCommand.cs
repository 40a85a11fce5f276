using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Model.Native;
using FedPrompt.Model.Pretraining;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>
/// The pretraining step (every weight trained: causal-LM loss over the full vocabulary, backward,
/// clipping, AdamW) on random tokens, at any shape and vocabulary size, in mixed bf16 or fp32: what
/// a bundled model's shape costs per token before choosing it. The FLOP rate counts the matrix
/// products (6 per weight per token: forward, and backward to inputs and to weights) beside the
/// linear peak measured in the same process.
/// </summary>
public sealed class BenchPretrainCommand : Command<BenchPretrainCommand.Settings>
{
    public sealed class Settings : BenchShapeSettings
    {
        [CommandOption("--vocab <N>")] [Description("Vocabulary size (default: the shape's own, 50257 for gpt2 and llama)")] [Range(2, int.MaxValue)] public int? Vocab { get; init; }
        [CommandOption("--batch <N>")] [Description("Sequences per step (default 8)")] [Range(1, int.MaxValue)] public int Batch { get; init; } = 8;
        [CommandOption("--seq <N>")] [Description("Sequence length, in tokens (default 256)")] [Range(1, int.MaxValue)] public int Sequence { get; init; } = 256;
        [CommandOption("--dropout <P>")] [Description("Dropout probability (default 0.1, pretraining's)")] [Range(0.0, 1.0, MaximumIsExclusive = true)] public double Dropout { get; init; } = new PretrainingOptions().Dropout;
        [CommandOption("--steps <N>")] [Description("Timed steps after 2 warm-up steps (default 5)")] [Range(1, int.MaxValue)] public int Steps { get; init; } = 5;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchNative.EnsureLoaded();
        torch.set_num_threads(settings.Threads);
        var precision = settings.ResolvedPrecision;
        double peak = LinearPeak.GigaflopsPerSecond(precision.ScalarType());
        var config = settings.ModelConfig(settings.Vocab, settings.Sequence);
        // As the pretrainer holds it: fp32 master weights, products in the compute type.
        using var model = Decoder.Create(config);
        model.ComputeType = precision.ScalarType();
        model.Dropout = settings.Dropout;
        model.InitializeForPretraining(0);
        model.train();
        var optimizer = optim.AdamW(model.parameters(), lr: 1e-4);
        var windows = randint(config.VocabSize, [settings.Batch, settings.Sequence + 1], generator: new Generator(0));

        void Step() => Pretrainer.TrainStep(model, optimizer, windows, gradientClip: 1.0);

        Step();
        Step();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < settings.Steps; i++) Step();
        double seconds = clock.Elapsed.TotalSeconds;
        long tokens = (long)settings.Steps * settings.Batch * settings.Sequence;
        long productWeights = config.LayerMatrixWeights * config.Layers + (long)config.VocabSize * config.Embedding;
        double gigaflops = 6.0 * productWeights * tokens / seconds / 1e9;
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            impl = "fedprompt",
            precision = precision.Name(),
            threads = settings.Threads,
            dropout = settings.Dropout,
            shape = new { architecture = config.Describe(), layers = config.Layers, hidden = config.Embedding, heads = config.Heads, vocab = config.VocabSize, batch = settings.Batch, seq = settings.Sequence },
            tokens_per_s = Math.Round(tokens / seconds, 1),
            ms_per_step = Math.Round(seconds * 1000 / settings.Steps, 1),
            lm_head_share_of_flops = Math.Round((double)config.VocabSize * config.Embedding / productWeights, 3),
            linear_gflops = Math.Round(gigaflops, 1),
            linear_peak_gflops = Math.Round(peak, 1),
            fraction_of_peak = Math.Round(gigaflops / peak, 3),
            peak_rss_mb = Math.Round(PeakMemory.Mebibytes(), 1),
        }));
        return 0;
    }
}
