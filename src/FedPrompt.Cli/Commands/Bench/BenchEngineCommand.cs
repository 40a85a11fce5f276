using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Model.Native;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>
/// Forward + backward to the input embeddings through a frozen GPT with random weights — the work a
/// p-tuning step does inside the GPT — at the 345M shape by default. tools/bench_engine.py runs the
/// identical computation in PyTorch for comparison.
/// </summary>
public sealed class BenchEngineCommand : Command<BenchEngineCommand.Settings>
{
    public sealed class Settings : BenchShapeSettings
    {
        [CommandOption("--vocab <N>")] [Description("Vocabulary size (default: the shape's own, 50257 for gpt2 and llama)")] [Range(1, int.MaxValue)] public int? Vocab { get; init; }
        [CommandOption("--batch <N>")] [Description("Sequences per step (default 4)")] [Range(1, int.MaxValue)] public int Batch { get; init; } = 4;
        [CommandOption("--seq <N>")] [Description("Sequence length, in tokens (default 42)")] [Range(1, int.MaxValue)] public int Sequence { get; init; } = 42;
        [CommandOption("--iterations <N>")] [Description("Timed steps after 2 warm-up steps (default 10)")] [Range(1, int.MaxValue)] public int Iterations { get; init; } = 10;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchNative.EnsureLoaded();
        torch.set_num_threads(settings.Threads);
        torch.manual_seed(0);
        var config = settings.ModelConfig(settings.Vocab, 1024);
        var precision = settings.ResolvedPrecision;
        using var model = Decoder.Create(config, precision.ScalarType());
        model.InitializeForPretraining(0);
        model.Freeze();
        model.eval();
        var ids = randint(config.VocabSize, [settings.Batch, settings.Sequence]);
        var targets = randint(config.VocabSize, [settings.Batch, settings.Sequence]);

        void Step()
        {
            using var scope = NewDisposeScope();
            var embeddings = model.EmbedTokens(ids).detach().requires_grad_(true);
            model.NextTokenLoss(model.Forward(embeddings).flatten(0, 1), targets.view(-1)).backward();
            if (embeddings.grad is null) throw new InvalidOperationException("no gradient reached the input embeddings");
        }

        Step();
        Step();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < settings.Iterations; i++) Step();
        var seconds = clock.Elapsed.TotalSeconds;
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            impl = "fedprompt",
            torchsharp = typeof(torch).Assembly.GetName().Version?.ToString(),
            threads = settings.Threads,
            examples_per_s = Math.Round(settings.Iterations * settings.Batch / seconds, 3),
            ms_per_step = Math.Round(seconds * 1000 / settings.Iterations, 1),
            peak_rss_mb = Math.Round(PeakMemory.Mebibytes(), 1),
            precision = precision.Name(),
            weights_mb = Math.Round(model.WeightBytes / 1048576.0, 1),
        }));
        return 0;
    }
}
