using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Model.Native;
using Spectre.Console.Cli;
using TorchSharp;

namespace FedPrompt.Cli.Commands.Model;

/// <summary>Every command that runs a GPT names it the same way, defaulting to the bundled model.</summary>
public class ModelSettings : CommandSettings
{
    [CommandOption("--model <PATH>")]
    [Description("A Hugging Face folder (GPT-2, Llama, Mistral, Qwen2, Qwen3) or a NeMo .nemo file (default: the bundled model)")]
    public string? ModelPath { get; init; }

    public string Model => ModelPath ?? BundledFiles.DefaultModel;

    [CommandOption("--threads <N>")]
    [Description("Torch intra-op threads (default: all cores)")]
    [Range(1, int.MaxValue)]
    public int? Threads { get; init; }

    [CommandOption("--precision <P>")]
    [Description("How the frozen model computes: auto, bf16 or fp32 (default: the job's or settings' precision, else auto: bf16 where this machine multiplies it clearly faster than fp32)")]
    public string? Precision { get; init; }

    /// <param name="fromSettings">The precision a job or settings file asks for; --precision overrides it.</param>
    public LanguageModel LoadModel(FedPrompt.Formats.Settings.Precision fromSettings = FedPrompt.Formats.Settings.Precision.Auto)
    {
        TorchNative.EnsureLoaded();
        if (Threads is { } threads) torch.set_num_threads(threads);
        var precision = Precision is { } text ? Precisions.Parse(text, "--precision") : fromSettings;
        return LanguageModel.Load(Model, precision);
    }
}
