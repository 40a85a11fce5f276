using System.ComponentModel;
using Spectre.Console.Cli;
using FedPrompt.Formats.Checkpoints;
using FedPrompt.Formats.Settings;

namespace FedPrompt.Cli.Commands.Model;

/// <summary>Writes any model the engine loads (.nemo, .bin, sharded, fp16 …) as a plain Hugging Face folder.</summary>
public sealed class ModelConvertCommand : Command<ModelConvertCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--out <DIR>", isRequired: true)] [Description("The Hugging Face folder to write")] public string Out { get; init; } = "";
        [CommandOption("--dtype <TYPE>")] [Description("Stored precision: f32 (default), f16 or bf16")] public string DType { get; init; } = "f32";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var dtype = settings.DType.ToLowerInvariant() switch
        {
            "f32" or "fp32" or "float32" => StoredDType.F32,
            "f16" or "fp16" or "float16" => StoredDType.F16,
            "bf16" or "bfloat16" => StoredDType.BF16,
            _ => throw new ArgumentException($"--dtype {settings.DType}: expected f32, f16 or bf16"),
        };
        // Loaded in fp32 unless asked otherwise: a bf16 model in memory would round an fp32 or fp16 file's weights.
        using var model = settings.LoadModel(FedPrompt.Formats.Settings.Precision.Fp32);
        model.Save(settings.Out, dtype);
        Console.Out.WriteLine($"{model.Origin} → {settings.Out} ({dtype})");
        return 0;
    }
}
