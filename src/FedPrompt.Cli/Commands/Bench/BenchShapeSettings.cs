using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>The GPT shape the engine benchmarks build with random weights (the reference's 345M model by default), and their threads.</summary>
public class BenchShapeSettings : CommandSettings
{
    [CommandOption("--layers <N>")] [Description("Transformer layers (default 24, the 345M shape)")] [Range(1, int.MaxValue)] public int Layers { get; init; } = 24;
    [CommandOption("--hidden <N>")] [Description("Hidden width (default 1024)")] [Range(1, int.MaxValue)] public int Hidden { get; init; } = 1024;
    [CommandOption("--heads <N>")] [Description("Attention heads (default 16)")] [Range(1, int.MaxValue)] public int Heads { get; init; } = 16;
    [CommandOption("--threads <N>")] [Description("Torch intra-op threads (default 2)")] [Range(1, int.MaxValue)] public int Threads { get; init; } = 2;
    [CommandOption("--precision <P>")] [Description("The frozen model's precision: auto, bf16 or fp32 (default auto: bf16 where the CPU has native bf16)")]
    public string Precision { get; init; } = "auto";

    public FedPrompt.Model.Precision ResolvedPrecision => FedPrompt.Model.Precisions.Resolve(FedPrompt.Model.Precisions.Parse(Precision, "--precision"));
}
