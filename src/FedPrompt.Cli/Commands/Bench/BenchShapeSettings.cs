using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>The model shape the engine benchmarks build with random weights (the reference's 345M GPT
/// by default, or a Llama-family checkpoint's published shape), and their threads.</summary>
public class BenchShapeSettings : CommandSettings
{
    public const string Shapes = "gpt2, llama, smollm2-360m, qwen2.5-0.5b or llama-3.2-1b";

    [CommandOption("--shape <NAME>")] [Description("Architecture and size: gpt2 (default) or llama from --layers/--hidden/--heads/--kv-heads, or the published shape of smollm2-360m, qwen2.5-0.5b or llama-3.2-1b")]
    public string Shape { get; init; } = "gpt2";
    [CommandOption("--layers <N>")] [Description("Transformer layers (default 24, the 345M shape)")] [Range(1, int.MaxValue)] public int? Layers { get; init; }
    [CommandOption("--hidden <N>")] [Description("Hidden width (default 1024)")] [Range(1, int.MaxValue)] public int? Hidden { get; init; }
    [CommandOption("--heads <N>")] [Description("Attention heads (default 16)")] [Range(1, int.MaxValue)] public int? Heads { get; init; }
    [CommandOption("--kv-heads <N>")] [Description("Key/value heads of --shape llama (default: as many as --heads)")] [Range(1, int.MaxValue)] public int? KvHeads { get; init; }
    [CommandOption("--threads <N>")] [Description("Torch intra-op threads (default 2)")] [Range(1, int.MaxValue)] public int Threads { get; init; } = 2;
    [CommandOption("--precision <P>")] [Description("The frozen model's precision: auto, bf16 or fp32 (default auto: bf16 where this machine multiplies it clearly faster than fp32)")]
    public string Precision { get; init; } = "auto";

    public FedPrompt.Formats.Settings.Precision ResolvedPrecision => FedPrompt.Model.AutoPrecision.Resolve(FedPrompt.Formats.Settings.Precisions.Parse(Precision, "--precision"));

    /// <summary>The shape's config with the vocabulary and positions the benchmark needs.</summary>
    /// <param name="vocabulary">Null keeps a published shape's own vocabulary.</param>
    public DecoderConfig ModelConfig(int? vocabulary, int positions)
    {
        bool custom = Shape is "gpt2" or "llama";
        if (!custom && (Layers ?? Hidden ?? Heads ?? KvHeads) is not null)
            throw new ArgumentException($"--layers, --hidden, --heads and --kv-heads size --shape gpt2 or llama; {Shape} has its published size");
        if (Shape == "gpt2" && KvHeads is not null) throw new ArgumentException("--kv-heads applies to --shape llama (GPT-2 has one key/value head per head)");
        int layers = Layers ?? 24, hidden = Hidden ?? 1024, heads = Heads ?? 16;
        DecoderConfig config = Shape switch
        {
            "gpt2" => new GptConfig { VocabSize = 50257, Positions = positions, Embedding = hidden, Layers = layers, Heads = heads },
            "llama" => Llama(50257, hidden, layers, heads, KvHeads ?? heads, LlamaConfig.SwiGluWidthFor(hidden), theta: 10000, tied: true),
            "smollm2-360m" => Llama(49152, 960, 32, 15, 5, 2560, theta: 100000, tied: true),
            "qwen2.5-0.5b" => Llama(151936, 896, 24, 14, 2, 4864, theta: 1000000, tied: true) with { Family = LlamaFamily.Qwen2, QkvBias = true },
            "llama-3.2-1b" => Llama(128256, 2048, 16, 32, 8, 8192, theta: 500000, tied: true) with
            {
                Rope = new RopeScaling(RopeScalingType.Llama3, Factor: 32, LowFrequencyFactor: 1, HighFrequencyFactor: 4, OriginalPositions: 8192),
            },
            _ => throw new ArgumentException($"--shape {Shape}: expected {Shapes}"),
        };
        return config switch
        {
            GptConfig gpt => gpt with { VocabSize = vocabulary ?? gpt.VocabSize },
            LlamaConfig llama => llama with { VocabSize = vocabulary ?? llama.VocabSize, Positions = positions },
            _ => config,
        };

        LlamaConfig Llama(int vocab, int width, int depth, int queryHeads, int kvHeads, int inner, double theta, bool tied) => new()
        {
            VocabSize = vocab, Positions = positions, Embedding = width, Layers = depth, Heads = queryHeads, KeyValueHeads = kvHeads,
            Inner = inner, RopeTheta = theta, TiedEmbeddings = tied,
        };
    }
}
