using System.Diagnostics;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>
/// What this machine's matrix products reach in a given element type, measured in the same process
/// as the benchmark it is compared with: the best of repeated [168 × 1024]·[4096 × 1024]ᵀ products
/// (a 345M model's MLP at micro-batch 4 × 42 tokens). A step's FLOP rate over this says how much of
/// the hardware the rest of the step leaves unused.
/// </summary>
public static class LinearPeak
{
    public static double GigaflopsPerSecond(ScalarType type, int repeats = 40)
    {
        using var scope = NewDisposeScope();
        var input = randn(168, 1024).to_type(type);
        var weight = randn(4096, 1024).to_type(type);
        double best = double.MaxValue;
        for (int i = 0; i < repeats + 5; i++)
        {
            using var inner = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            F.linear(input, weight);
            if (i >= 5) best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * 168 * 1024 * 4096 / best / 1e9;
    }
}
